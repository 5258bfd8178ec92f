// Certificates for mTLS tests, made with openssl in a temp dir: a CA, a server certificate for
// 127.0.0.1, and client certificates whose URI SAN is a SPIFFE id (as Istio issues them).
import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "./procs";

export interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** Client certificate and key files by SPIFFE id. */
  clients: Map<string, { cert: string; key: string }>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const r = await run("openssl", args, { cwd: dir, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`openssl ${args.join(" ")} failed (exit ${r.code}):\n${r.stderr}`);
}

/** Signs a new key's certificate with the CA; `san` is an openssl subjectAltName value. */
async function issue(dir: string, name: string, cn: string, san: string, usage: string): Promise<void> {
  fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
  await openssl(dir, [
    "req",
    "-new",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ]);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-out",
    `${name}.crt`,
    "-extfile",
    `${name}.ext`,
  ]);
}

export async function makePki(dir: string, spiffeIds: string[]): Promise<Pki> {
  await openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=kscope test CA",
  ]);
  await issue(dir, "server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost", "serverAuth");
  const clients = new Map<string, { cert: string; key: string }>();
  for (const [i, id] of spiffeIds.entries()) {
    await issue(dir, `client${i}`, `client${i}`, `URI:${id}`, "clientAuth");
    clients.set(id, { cert: path.join(dir, `client${i}.crt`), key: path.join(dir, `client${i}.key`) });
  }
  return { dir, ca: path.join(dir, "ca.crt"), serverCert: path.join(dir, "server.crt"), serverKey: path.join(dir, "server.key"), clients };
}

/** librdkafka (kcat -X) properties for an mTLS connection with this client certificate. */
export function kcatTls(pki: Pki, spiffeId: string): Record<string, string> {
  const c = pki.clients.get(spiffeId);
  if (!c) throw new Error(`no client certificate for ${spiffeId}`);
  return { "security.protocol": "ssl", "ssl.ca.location": pki.ca, "ssl.certificate.location": c.cert, "ssl.key.location": c.key };
}
