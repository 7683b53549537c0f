// A background worker without a port: it ticks, and stops cleanly on SIGTERM.
let n = 0;
const timer = setInterval(() => console.log(`worker: tick ${++n}`), 2000);
console.log(`worker: started (pid ${process.pid}), API at ${process.env.WEB_API_URL}`);
process.on('SIGTERM', () => {
  clearInterval(timer);
  console.log('worker: stopping');
  process.exit(0);
});
