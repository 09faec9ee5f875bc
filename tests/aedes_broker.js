// aedes (a second MQTT broker implementation, 3.1.1) for the integration tests: MQTT over TCP and over
// WebSocket on 127.0.0.1. Usage: node tests/aedes_broker.js TCP_PORT WS_PORT (0 lets the OS pick).
// Prints one line `ready tcp=PORT ws=PORT` once both listen, and exits when stdin closes, so it never
// outlives the test that started it. Needs `aedes` and `ws` on NODE_PATH (see .ci/run).
'use strict'

const net = require('node:net')
const http = require('node:http')
const { pathToFileURL } = require('node:url')
const { WebSocketServer, createWebSocketStream } = require('ws')

function listen (server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server.address().port))
  })
}

async function main () {
  const tcpPort = Number(process.argv[2] || 0)
  const wsPort = Number(process.argv[3] || 0)
  // aedes is an ES module: found through NODE_PATH by require.resolve, then imported by its path
  // (ESM resolution itself ignores NODE_PATH).
  const { Aedes } = await import(pathToFileURL(require.resolve('aedes')).href)
  const broker = await Aedes.createBroker()
  const tcp = net.createServer(broker.handle)
  const web = http.createServer()
  const wss = new WebSocketServer({ server: web })
  wss.on('connection', (socket, req) => broker.handle(createWebSocketStream(socket), req))
  const tcpBound = await listen(tcp, tcpPort)
  const wsBound = await listen(web, wsPort)
  process.stdout.write(`ready tcp=${tcpBound} ws=${wsBound}\n`)
  process.stdin.resume()
  process.stdin.on('end', () => process.exit(0))
}

main().catch((err) => {
  process.stderr.write(`aedes_broker: ${err.stack || err}\n`)
  process.exit(1)
})
