import * as dgram from "node:dgram";

const TYPE_A = 1;
const CLASS_IN = 1;

/** The name and type a DNS query asks for, and where its question ends. */
function question(query: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let offset = 12;
  while (query[offset] !== 0) {
    const length = query[offset];
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString("ascii"));
    offset += 1 + length;
  }
  return {
    name: labels.join(".").toLowerCase(),
    type: query.readUInt16BE(offset + 1),
    end: offset + 5,
  };
}

/**
 * A DNS server on loopback that answers A queries from a table the test changes as it goes, the
 * way Docker's embedded DNS answers for containers: a name it does not know is NXDOMAIN, an
 * answer lives `ttl` seconds. Enough of RFC 1035 for nginx's resolver, nothing more.
 */
export class DnsStandIn {
  private readonly records = new Map<string, string>();

  private constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
    private readonly ttl: number,
  ) {
    socket.on("message", (query, peer) => {
      socket.send(this.answer(query), peer.port, peer.address);
    });
  }

  static async start(ttl = 1): Promise<DnsStandIn> {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, "127.0.0.1", resolve);
    });
    return new DnsStandIn(socket, socket.address().port, ttl);
  }

  /** Points `name` at an IPv4 address, or makes it unknown with undefined. */
  set(name: string, address: string | undefined): void {
    if (address === undefined) {
      this.records.delete(name.toLowerCase());
    } else {
      this.records.set(name.toLowerCase(), address);
    }
  }

  private answer(query: Buffer): Buffer {
    const { name, type, end } = question(query);
    const address = this.records.get(name);
    const found = address !== undefined;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    // A response, recursion desired and available, and NXDOMAIN for an unknown name.
    header.writeUInt16BE(0x8180 | (found ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(found && type === TYPE_A ? 1 : 0, 6);
    const asked = query.subarray(12, end);
    if (!found || type !== TYPE_A) {
      return Buffer.concat([header, asked]);
    }
    const record = Buffer.alloc(16);
    // A pointer to the name in the question, then type, class, TTL and the four address bytes.
    record.writeUInt16BE(0xc00c, 0);
    record.writeUInt16BE(TYPE_A, 2);
    record.writeUInt16BE(CLASS_IN, 4);
    record.writeUInt32BE(this.ttl, 6);
    record.writeUInt16BE(4, 10);
    address.split(".").forEach((octet, index) => record.writeUInt8(Number(octet), 12 + index));
    return Buffer.concat([header, asked, record]);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
