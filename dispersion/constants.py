"""Physical constants and reference conditions, SI units."""

G = 9.80665  # standard gravity, m/s²
R = 8.314462618  # molar gas constant, J/(mol·K)
P_ATM = 101_325.0  # standard atmosphere, Pa
T_AMBIENT = 293.15  # default ambient temperature, K (20 °C)
M_AIR = 0.0289647  # molar mass of dry air, kg/mol
E_TNT = 4.68e6  # blast energy of TNT, J/kg (RMP OCA guidance; Crowl & Louvar give 1120 cal/g = 4.686 MJ/kg)
PSI = 6894.757293168361  # one pound-force per square inch, Pa
ONE_HOUR = 3600.0  # s
