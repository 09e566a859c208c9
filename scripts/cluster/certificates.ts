// Certificates made at start with openssl: a throwaway CA, one certificate the Temporal services present
// (frontend and internode, for localhost and 127.0.0.1) and one client certificate for toolgate's mTLS.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ClusterCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The name the server certificate is valid for. */
  serverName: string;
}

const DAYS = '7';

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl ${args[0]} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
}

export function makeCertificates(folder: string): ClusterCertificates {
  mkdirSync(folder, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', DAYS, '-subj', '/CN=toolgate test CA'],
    folder,
  );
  const issue = (name: string, subject: string, extensions: string): void => {
    writeFileSync(join(folder, `${name}.ext`), extensions);
    openssl(['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], folder);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        DAYS,
        '-out',
        `${name}.pem`,
        '-extfile',
        `${name}.ext`,
      ],
      folder,
    );
  };
  // Internode connections use the same certificate as client and server.
  issue(
    'server',
    '/CN=localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n',
  );
  issue('client', '/CN=toolgate', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  return {
    ca: join(folder, 'ca.pem'),
    serverCert: join(folder, 'server.pem'),
    serverKey: join(folder, 'server.key'),
    clientCert: join(folder, 'client.pem'),
    clientKey: join(folder, 'client.key'),
    serverName: 'localhost',
  };
}
