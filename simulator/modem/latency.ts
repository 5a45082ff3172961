// How long the virtual SIM800 takes, in ms. Ordinary replies are what a SIM800L on a bench
// answers in (tens of ms); the slow ones are typical field values, far below the manual's
// maximum response times that dialect-sim800.ts uses as timeouts (CIICR 85 s, CIPSTART 75 s …),
// so a driver that waits correctly also passes under `slowReplies` faults.

export interface ModemLatency {
  /** Power-on → "RDY" (the UART drops input before it). */
  rdyMs: number;
  /** Power-on → "+CFUN: 1" / "+CPIN: READY". */
  simMs: number;
  /** Power-on → "Call Ready" and "SMS Ready" (SMS commands fail before). */
  callReadyMs: number;
  smsReadyMs: number;
  /** SIM ready, or coverage back → registered. */
  registerMs: number;
  /** Registered → the NITZ lines (*PSUTTZ, DST) when AT+CLTS=1. */
  nitzMs: number;
  /** AT, settings (ATE0, AT+CMEE=1 …). */
  commandMs: number;
  /** AT+CPIN?, AT+CSQ, AT+CREG?, AT+CCLK?, AT+CIPSTATUS. */
  queryMs: number;
  /** AT+CGATT=1. */
  attachMs: number;
  /** AT+CIPSHUT → SHUT OK. */
  shutMs: number;
  /** AT+CIICR (PDP context activation). */
  contextMs: number;
  /** AT+CIFSR, AT+CSTT. */
  ipMs: number;
  /** AT+CIPSTART → OK (the TCP handshake runs after it). */
  openOkMs: number;
  /** Added to the real TCP connect before "CONNECT OK" / "CONNECT FAIL" (radio round trips). */
  connectMs: number;
  /** Command line → "> ". */
  promptMs: number;
  /** Last payload byte → the bytes leave on the socket. */
  uplinkMs: number;
  /** Last payload byte → "SEND OK" (SIM800 waits for the TCP ACK unless CIPQSEND=1). */
  sendAckMs: number;
  /** Bytes from the socket → "+CIPRXGET: 1". */
  downlinkMs: number;
  /** AT+CIPRXGET=2,n. */
  readMs: number;
  /** AT+CIPCLOSE → CLOSE OK. */
  closeMs: number;
  /** Ctrl-Z → "+CMGS: n". */
  smsSendMs: number;
  /** AT+CMGR, AT+CMGD. */
  smsReadMs: number;
  /** AT+CMGL, AT+CMGD=1,4. */
  smsListMs: number;
  /** ATA, ATH. */
  callMs: number;
  /** Each delay is scaled by a seeded factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
  /** UART speed: every reply also takes 10 bit times per byte. 0 = instant. */
  baud: number;
}

export const SIM800_LATENCY: ModemLatency = {
  rdyMs: 1800,
  simMs: 2300,
  callReadyMs: 5500,
  smsReadyMs: 6000,
  registerMs: 4000,
  nitzMs: 1200,
  commandMs: 15,
  queryMs: 30,
  attachMs: 600,
  shutMs: 250,
  contextMs: 1800,
  ipMs: 40,
  openOkMs: 40,
  connectMs: 450,
  promptMs: 15,
  uplinkMs: 150,
  sendAckMs: 400,
  downlinkMs: 150,
  readMs: 20,
  closeMs: 120,
  smsSendMs: 2500,
  smsReadMs: 50,
  smsListMs: 150,
  callMs: 250,
  jitter: 0.2,
  baud: 115200,
};

/** Every delay zero except the order of events (tests that assert bytes, not timing). */
export const INSTANT_LATENCY: ModemLatency = {
  rdyMs: 1,
  simMs: 2,
  callReadyMs: 3,
  smsReadyMs: 4,
  registerMs: 5,
  nitzMs: 1,
  commandMs: 0,
  queryMs: 0,
  attachMs: 0,
  shutMs: 0,
  contextMs: 0,
  ipMs: 0,
  openOkMs: 0,
  connectMs: 0,
  promptMs: 0,
  uplinkMs: 0,
  sendAckMs: 0,
  downlinkMs: 0,
  readMs: 0,
  closeMs: 0,
  smsSendMs: 0,
  smsReadMs: 0,
  smsListMs: 0,
  callMs: 0,
  jitter: 0,
  baud: 0,
};
