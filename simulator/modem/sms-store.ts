// The SIM's SMS memory ("SM"): fixed slots numbered from 1, as 27.005 text mode shows them. It
// lives on the SIM, so it survives a modem reboot.

export interface StoredSms {
  index: number;
  from: string;
  text: string;
  /** Service-centre time stamp as 27.005 text mode prints it: "yy/MM/dd,hh:mm:ss±zz". */
  stamp: string;
  read: boolean;
}

export class SmsStore {
  readonly slots: number;
  private readonly messages: (StoredSms | null)[];

  constructor(slots: number) {
    this.slots = slots;
    this.messages = [];
    for (let i = 0; i < slots; i++) this.messages.push(null);
  }

  /** Stores in the lowest free slot; its index, or -1 when the memory is full. */
  add(from: string, text: string, stamp: string): number {
    for (let i = 0; i < this.slots; i++)
      if (this.messages[i] === null) {
        this.messages[i] = { index: i + 1, from: from, text: text, stamp: stamp, read: false };
        return i + 1;
      }
    return -1;
  }

  /** null for an empty slot; undefined when the index is outside the memory. */
  get(index: number): StoredSms | null | undefined {
    if (!(index >= 1 && index <= this.slots)) return undefined;
    return this.messages[index - 1];
  }

  remove(index: number): void {
    if (index >= 1 && index <= this.slots) this.messages[index - 1] = null;
  }

  /** AT+CMGD=i,flag: 1 read, 2 and 3 read (nothing sent is stored here), 4 all. */
  removeWhere(flag: number): void {
    for (let i = 0; i < this.slots; i++) {
      const m = this.messages[i];
      if (m !== null && (flag === 4 || m.read)) this.messages[i] = null;
    }
  }

  list(): StoredSms[] {
    const out: StoredSms[] = [];
    for (let i = 0; i < this.slots; i++) {
      const m = this.messages[i];
      if (m !== null) out.push(m);
    }
    return out;
  }

  count(): number {
    return this.list().length;
  }
}
