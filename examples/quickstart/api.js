// The API: plain node:http on $PORT. Behind the proxy it is served at /api/.
import { readFileSync } from 'node:fs';
import http from 'node:http';

const port = Number(process.env.PORT);
const items = JSON.parse(readFileSync('var/items.json', 'utf8'));

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/healthz') return void res.end('ok'); // probed every 2 s: not worth a log line
  console.log(`${req.method} ${url.pathname}`);
  if (url.pathname === '/api/items') {
    res.setHeader('content-type', 'application/json');
    return void res.end(JSON.stringify(items));
  }
  if (url.pathname === '/api/time') {
    // Server-sent events: the proxy streams them through unbuffered.
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = () => res.write(`data: ${new Date().toISOString()}\n\n`);
    send();
    const t = setInterval(send, 1000);
    req.on('close', () => clearInterval(t));
    return;
  }
  res.statusCode = 404;
  res.end('not found');
});
server.listen(port, process.env.HOST, () => console.log(`api: listening on ${process.env.HOST}:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
