/**
 * The address this process's collectives listen on, as the other ranks must reach it: the local
 * address of the route toward the master (a connected UDP socket sends nothing, it only picks the
 * route). Not the host name: Debian maps it to 127.0.1.1, which no other machine can reach.
 * GLOO_SOCKET_IFNAME (as in PyTorch) names an interface to use instead.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import os from 'node:os';
import { FacenetError } from '../errors.js';

function interfaceAddress(name: string): string {
  const entries = os.networkInterfaces()[name];
  const v4 = entries?.find((e) => e.family === 'IPv4');
  if (!v4) throw new FacenetError('BAD_ARGUMENT', `GLOO_SOCKET_IFNAME=${name}: no such interface with an IPv4 address (have: ${Object.keys(os.networkInterfaces()).join(', ')})`);
  return v4.address;
}

export async function localAddressToward(host: string, port: number, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const ifname = env['GLOO_SOCKET_IFNAME'];
  if (ifname) return interfaceAddress(ifname.split(',')[0]!);
  let ip: string;
  try {
    ip = (await lookup(host, { family: 4 })).address;
  } catch (e) {
    throw new FacenetError('DISTRIBUTED', `cannot resolve the master address ${host} (--master-addr / MASTER_ADDR): ${(e as Error).message}`, { cause: e });
  }
  if (ip.startsWith('127.')) return '127.0.0.1';
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, ip, () => resolve());
    });
    return socket.address().address;
  } catch (e) {
    throw new FacenetError('DISTRIBUTED', `no route to the master ${host} (${ip}): ${(e as Error).message}`, { cause: e });
  } finally {
    socket.close();
  }
}
