// An OPC UA server hazmap did not write (node-opcua), for the acquisition tests.
// Usage: node opcua_server.js '{"port": 4840, "pki": "/tmp/pki", "variables": [{"id": "GD-001", "value": 1.5, "type": "Double"}],
//                              "users": {"hazmap": "secret"}, "anonymous": true}'
// With "userPki": "/tmp/user-pki", "trustedUsers": ["/tmp/operator.der"] X.509 user identities are checked
// against a PKI of their own that trusts exactly those certificates (DER files); without it any is accepted.
// It listens on 127.0.0.1 only, prints "ready <endpoint>" once listening, then reads JSON lines on stdin:
//   {"id": "GD-001", "value": 2.5, "status": "Good" | "Uncertain" | "Bad"}  sets a variable (source time now)
//   {"id": "GD-001", "text": "oops"}                                       sets a String value (a wrong type)
// With "load": {"rate": 5000} it changes its variables in turn, that many changes a second, each value
// the next integer and its source time the moment of the change (for the latency benchmark).
"use strict";
const fs = require("fs");
const readline = require("readline");
const {
  OPCUAServer, OPCUACertificateManager, Variant, DataType, DataValue, StatusCodes, SecurityPolicy, MessageSecurityMode,
} = require("node-opcua");

async function main() {
  const config = JSON.parse(process.argv[2]);
  const users = config.users || {};
  const certificateManager = new OPCUACertificateManager({
    rootFolder: config.pki,
    automaticallyAcceptUnknownCertificate: true,
  });
  await certificateManager.initialize();
  let userCertificateManager = certificateManager;
  if (config.userPki) {
    userCertificateManager = new OPCUACertificateManager({
      rootFolder: config.userPki,
      automaticallyAcceptUnknownCertificate: false,
    });
    await userCertificateManager.initialize();
    for (const file of config.trustedUsers || []) {
      await userCertificateManager.trustCertificate(fs.readFileSync(file));
    }
  }
  const server = new OPCUAServer({
    host: "127.0.0.1",
    hostname: "127.0.0.1",
    port: config.port,
    resourcePath: "/hazmap-test",
    serverCertificateManager: certificateManager,
    userCertificateManager,
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
    allowAnonymous: config.anonymous !== false,
    userManager: { isValidUser: (name, password) => users[name] !== undefined && users[name] === password },
    buildInfo: { productName: "hazmap-test-peer" },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  const namespace = addressSpace.getOwnNamespace();
  const folder = namespace.addFolder(addressSpace.rootFolder.objects, { browseName: "Plant" });
  const variables = {};
  for (const v of config.variables) {
    variables[v.id] = namespace.addVariable({
      componentOf: folder,
      nodeId: `s=${v.id}`,
      browseName: v.id,
      dataType: v.type || "Double",  // "BaseDataType" takes any type, so that a test can send a wrong one
      value: new Variant({ dataType: DataType.Double, value: v.value }),
    });
  }
  await server.start();
  if (config.load) {
    const ids = Object.keys(variables);
    const perTick = Math.max(1, Math.round(config.load.rate / 100));
    let next = 0;
    let counter = 0;
    setInterval(() => {
      const now = new Date();
      for (let i = 0; i < perTick; i++) {
        counter += 1;
        variables[ids[next]].setValueFromSource(new Variant({ dataType: DataType.Double, value: counter }), StatusCodes.Good, now);
        next = (next + 1) % ids.length;
      }
    }, 10);
  }
  console.log(`ready ${server.getEndpointUrl()} ns=${namespace.index}`);
  const lines = readline.createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    if (!line.trim()) return;
    const change = JSON.parse(line);
    const variable = variables[change.id];
    if (!variable) return;
    const now = new Date();
    const value = change.text !== undefined
      ? new Variant({ dataType: DataType.String, value: change.text })
      : new Variant({ dataType: DataType.Double, value: change.value });
    const status = change.status === "Bad" ? StatusCodes.BadSensorFailure
      : change.status === "Uncertain" ? StatusCodes.UncertainLastUsableValue : StatusCodes.Good;
    variable.setValueFromSource(value, status, now);
  });
  lines.on("close", async () => { await server.shutdown(100); process.exit(0); });
  process.on("SIGTERM", async () => { await server.shutdown(100); process.exit(0); });
}

main().catch((error) => { console.error(error); process.exit(1); });
