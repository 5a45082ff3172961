// MQTT topic layout (SPEC §13).

const HEX = "0123456789abcdef";

/** Unit id as 8 lowercase hex digits: the MQTT client id and the topic segment. */
export function unitIdText(unitId: number): string {
  let s = "";
  for (let shift = 28; shift >= 0; shift -= 4) s += HEX.charAt((unitId / (1 << shift)) & 15);
  return s;
}

export function uplinkTopic(unitId: number): string {
  return "em/v1/unit/" + unitIdText(unitId) + "/up";
}

export function downlinkTopic(unitId: number): string {
  return "em/v1/unit/" + unitIdText(unitId) + "/down";
}

export function statusTopic(unitId: number): string {
  return "em/v1/unit/" + unitIdText(unitId) + "/status";
}

export const SMS_IN_TOPIC = "em/v1/sms/in";
