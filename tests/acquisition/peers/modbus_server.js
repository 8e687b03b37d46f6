// A Modbus TCP server hazmap did not write (modbus-serial's ServerTCP), for the acquisition tests.
// Usage: node modbus_server.js '{"port": 5020, "unit": 1, "holding": {"0": 17000}, "coils": {"3": true},
//                                "discrete": {"3": false}}'
// Holding registers also answer as input registers; coils and discrete inputs are separate tables.
// It listens on 127.0.0.1 only, prints "ready" once listening, then reads JSON lines on stdin that
// replace register and bit values: {"holding": {"0": 17001}, "discrete": {"3": true}}. Addresses not
// given answer with exception 2 (illegal data address). With "counter": 0 the holding register at that address is a
// read counter: each read answers its value and then adds one (modulo 65536), so that a test can tell
// from the values it stored whether any reading was lost or stored twice.
"use strict";
const readline = require("readline");
const ModbusRTU = require("modbus-serial");

const config = JSON.parse(process.argv[2]);
const holding = config.holding || {};
const coils = config.coils || {};
const discrete = config.discrete || {};
const counter = config.counter === undefined ? null : String(config.counter);

function lookup(table, addr) {
  if (!(String(addr) in table)) {
    const error = new Error("illegal data address");
    error.modbusErrorCode = 0x02;
    throw error;
  }
  return table[String(addr)];
}

const vector = {
  getHoldingRegister: (addr) => {
    const value = lookup(holding, addr);
    if (String(addr) === counter) holding[counter] = (value + 1) % 65536;
    return value;
  },
  getInputRegister: (addr) => lookup(holding, addr),
  getCoil: (addr) => Boolean(lookup(coils, addr)),
  getDiscreteInput: (addr) => Boolean(lookup(discrete, addr)),
  setRegister: (addr, value) => { holding[String(addr)] = value; },
  setCoil: (addr, value) => { coils[String(addr)] = value; },
};

const server = new ModbusRTU.ServerTCP(vector, { host: "127.0.0.1", port: config.port, unitID: config.unit || 1 });
server.on("initialized", () => console.log("ready"));
server.on("socketError", (error) => console.error(error.message));
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  const change = JSON.parse(line);
  Object.assign(holding, change.holding || {});
  Object.assign(coils, change.coils || {});
  Object.assign(discrete, change.discrete || {});
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
