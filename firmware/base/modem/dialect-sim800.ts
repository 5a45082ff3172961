// The SIM800 family (SIM800L/C/H, SIM868, SIM900 close enough) as a ModemDialect: one TCP
// connection (CIPMUX=0), data read on demand (CIPRXGET=1, so the modem buffers and the unit's
// RAM stays bounded), SMS in text mode, caller ID on. Times are the SIM800 AT manual's maximum
// response times where it gives one (CIICR 85 s, CIPSHUT 65 s, CGATT 75 s, CIPSTART 75 s from
// IP STATUS, CMGS 60 s); the rest are ours.
//
// Facts the table relies on, beyond the manual's text:
// - "+CIPRXGET: 2,<a>,<b>": <a> is the length of the block that follows and <b> what is still
//   buffered, whatever the manual's wording says (TinyGSM's SIM800 driver documents the same).
// - After AT+CIPSTART's OK the outcome arrives later as "CONNECT OK" / "CONNECT FAIL", so the
//   queue is not held for up to 75 s; "ALREADY CONNECT" replaces the OK if a socket is open.
// - AT+CIFSR answers with the bare IP address and no OK.
// - ATS0=0 (never auto-answer) is sent at every bring-up: the unit must never become a
//   listening device, whatever the modem's saved profile says.
// - "UNDER-VOLTAGE WARNNING" is spelt that way by the firmware; warnings are not power-downs.
//
// Differences a SIM7600- or BG96-class table has to express (from SIMCom's SIM7500/7600 and
// Quectel's BG96 TCP/IP AT manuals; not yet run against those modems):
//
// | concept          | SIM800 (this table)             | SIM7600                            | BG96                               |
// |------------------|---------------------------------|------------------------------------|------------------------------------|
// | registration     | AT+CREG? / +CREG: (GSM/GPRS)    | AT+CREG? and AT+CEREG? (LTE)       | AT+CEREG? / AT+CGREG? (LTE-M/NB)   |
// | APN + context    | CSTT="apn" → CIICR → CIFSR      | CGDCONT=1,"IP","apn" → NETOPEN, then "+NETOPEN: 0" | QICSGP=1,1,"apn" → QIACT=1 |
// | context down     | CIPSHUT → SHUT OK               | NETCLOSE → OK, "+NETCLOSE: 0"      | QIDEACT=1 → OK                     |
// | context lost URC | +PDP: DEACT                     | +CIPEVENT: NETWORK CLOSED UNEXPECTEDLY | +QIURC: "pdpdeact",1           |
// | open             | CIPSTART="TCP","h",p → OK, CONNECT OK | CIPOPEN=0,"TCP","h",p → OK, +CIPOPEN: 0,0 | QIOPEN=1,0,"TCP","h",p,0,0 → OK, +QIOPEN: 0,0 |
// | TLS              | CIPSSL=1 before CIPSTART        | its own socket commands (CCHSTART, CCHOPEN, …) | its own (QSSLCFG, QSSLOPEN, …) |
// | send             | CIPSEND=n, "> ", → SEND OK      | CIPSEND=0,n, "> ", → OK, +CIPSEND: 0,n,n | QISEND=0,n, "> ", → SEND OK |
// | data waiting URC | +CIPRXGET: 1                    | +CIPRXGET: 1,0                     | +QIURC: "recv",0                   |
// | read             | CIPRXGET=2,n → +CIPRXGET: 2,len,left | CIPRXGET=2,0,n → +CIPRXGET: 2,0,len,left | QIRD=0,n → +QIRD: len (no "left") |
// | closed URC       | CLOSED                          | +IPCLOSE: 0,<reason>               | +QIURC: "closed",0                 |
// | close            | CIPCLOSE=1 → CLOSE OK           | CIPCLOSE=0 → OK, +CIPCLOSE: 0,0    | QICLOSE=0 → OK                     |
// | network time     | CLTS=1: *PSUTTZ, +CTZV, DST; CCLK local+zone | CTZU=1, CTZR=1/2: +CTZV / +CTZE; CCLK | CTZU=1, CTZR=2: +CTZE; QLTS=1 (UTC) |
// | boot / power-off | RDY … SMS Ready / NORMAL POWER DOWN | RDY … PB DONE / same           | RDY, APP RDY / POWERED DOWN        |
// | SMS, calls       | 27.005 text mode, +CMTI, +CLIP, RING, ATA/ATH — the same on all three |  |                     |
//
// Everything else (queue, timeouts, URC dispatch, the bring-up and recovery state machine, SMS
// and call policy) is the driver's and does not change.

import { type ModemDialect, step } from "./modem-dialect";

const SET = 2000;

function setting(text: string): string {
  return step(text, SET, 2);
}

export const SIM800: ModemDialect = {
  name: "SIM800",
  bootMs: 4000,
  syncTries: 10,
  bootUrcs: ["RDY"],
  powerDownUrcs: ["NORMAL POWER DOWN", "UNDER-VOLTAGE POWER DOWN", "OVER-VOLTAGE POWER DOWN"],
  setup: [
    setting("ATE0"),
    setting("AT+CMEE=1"),
    setting("ATS0=0"),
    setting("AT+CLIP=1"),
    setting("AT+CMGF=1"),
    setting("AT+CNMI=2,1,0,0,0"),
    setting("AT+CREG=1"),
    setting("AT+CLTS=1"),
    setting("AT+CIPMUX=0"),
    setting("AT+CIPRXGET=1"),
  ],

  simQuery: step("AT+CPIN?", 5000, 0, ["+CPIN:"], [], []),
  simReady: "+CPIN: READY",
  regQuery: step("AT+CREG?", SET, 1, ["+CREG:"], [], []),
  regPrefix: "+CREG:",
  signalQuery: step("AT+CSQ", SET, 1, ["+CSQ:"], [], []),
  signalPrefix: "+CSQ:",
  clockQuery: step("AT+CCLK?", SET, 1, ["+CCLK:"], [], []),
  timeUrcs: ["*PSUTTZ:", "+CTZV:", "+CTZE:", "DST:"],

  attach: step("AT+CGATT=1", 75000, 0),
  contextUp: [
    step('AT+CSTT="{apn}","{user}","{pass}"', SET, 1),
    step("AT+CIICR", 85000, 0),
    step("AT+CIFSR", SET, 1, [], ["*"], []),
  ],
  contextDown: step("AT+CIPSHUT", 65000, 0, [], ["SHUT OK"], []),
  contextLostUrcs: ["+PDP: DEACT"],

  open: step(
    'AT+CIPSTART="TCP","{host}",{port}',
    10000,
    0,
    [],
    ["OK"],
    ["ALREADY CONNECT"],
    ["CONNECT OK"],
    ["CONNECT FAIL"],
    75000,
  ),
  secure: step("AT+CIPSSL=1", SET, 1),
  send: step("AT+CIPSEND={n}", 20000, 0, [], ["SEND OK"], ["SEND FAIL"]),
  maxSend: 1024,
  dataUrc: "+CIPRXGET: 1",
  read: step("AT+CIPRXGET=2,{n}", 5000, 0, ["+CIPRXGET: 2,"], [], []),
  readHeader: "+CIPRXGET: 2,",
  readLengthField: 1,
  readLeftField: 2,
  maxRead: 512,
  close: step("AT+CIPCLOSE=1", 5000, 0, [], ["CLOSE OK"], []),
  closedUrcs: ["CLOSED"],

  smsSend: step('AT+CMGS="{number}"', 60000, 0, ["+CMGS:"], [], []),
  smsNewUrc: "+CMTI:",
  smsRead: step("AT+CMGR={index}", 5000, 1, ["+CMGR:"], [], []),
  smsDelete: step("AT+CMGD={index}", 5000, 1),
  smsList: step('AT+CMGL="ALL"', 20000, 0, ["+CMGL:"], [], []),
  smsReadSenderField: 1,
  smsListSenderField: 2,

  ringUrc: "RING",
  callerIdUrc: "+CLIP:",
  callEndUrcs: ["NO CARRIER", "BUSY", "NO ANSWER"],
  answer: step("ATA", 20000, 0, ["NO CARRIER"], [], ["NO CARRIER"]),
  hangUp: step("ATH", 20000, 1),
};
