const { Server } = require('socket.io');
const { execFile, exec } = require('child_process');

const io = new Server(3001);

io.on('connection', (socket) => {
  socket.on('lookup', ({ host }) => {
    exec(`host ${host}`, (err, out) => socket.emit('lookup:result', out)); // tavo-label: vuln command-injection
  });
  socket.on('lookup-safe', ({ host }) => {
    execFile('host', ['--', host], (err, out) => socket.emit('lookup:result', out)); // tavo-label: safe command-injection
  });
});
