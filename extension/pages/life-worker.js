// The check worker's heartbeat (check-worker.js startLifeBeat): beats on the guard's port every
// 200 ms for as long as the check worker that started it lives.
self.onmessage = ({ data: port }) => {
  setInterval(() => port.postMessage(0), 200);
};
