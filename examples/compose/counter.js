// GET / counts a visit in Redis and says how many there were. No dependencies:
// a few lines of Redis's protocol (RESP) over a socket.
const http = require('node:http');
const net = require('node:net');

function redis(...args) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(process.env.CACHE_PORT), '127.0.0.1');
    let reply = '';
    sock.on('data', (d) => {
      reply += d;
      if (reply.endsWith('\r\n')) {
        sock.end();
        if (reply[0] === '-') reject(new Error(reply.slice(1).trim()));
        else resolve(reply.slice(1).trim());
      }
    });
    sock.on('error', reject);
    sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`);
  });
}

http
  .createServer(async (req, res) => {
    try {
      if (req.url === '/healthz') return res.end((await redis('PING')) === 'PONG' ? 'ok' : 'no');
      const n = await redis('INCR', 'visits');
      res.end(`visit number ${n} (kept in Redis on port ${process.env.CACHE_PORT})\n`);
    } catch (err) {
      res.statusCode = 503;
      res.end(`redis: ${err.message}\n`);
    }
  })
  .listen(process.env.PORT, '127.0.0.1', () => console.log(`counter: http://127.0.0.1:${process.env.PORT}/`));
