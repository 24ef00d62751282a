import Fastify from 'fastify'

/**
 * The framework's own ceiling on this machine: one Fastify route, a POST with a JSON body,
 * answering the same JSON as the server's user lookup (BENCH_BARE_PAYLOAD), with no auth, no
 * database and no schema. Run in its own process, like the server.
 */
const payload: unknown = JSON.parse(process.env.BENCH_BARE_PAYLOAD ?? '{}')
const app = Fastify({ logger: false })
app.post('/bare', async () => payload)
app.get('/ready', async () => ({ ready: true }))
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) })
process.stdout.write(`${address}\n`)
