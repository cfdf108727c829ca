// Run: GENIMAGE_WEBHOOK_SECRET=whsec_… PORT=3000 npx tsx src/main.ts
import { createWebhookReceiver } from './receiver.js'

const secret = process.env['GENIMAGE_WEBHOOK_SECRET']
if (!secret) {
  console.error('Set GENIMAGE_WEBHOOK_SECRET to one of the server’s WEBHOOK_SECRETS')
  process.exit(2)
}
const port = Number(process.env['PORT'] ?? 3000)
createWebhookReceiver({
  secrets: secret.split(','),
  onWebhook: (webhook) => {
    if (webhook.status === 'OK' && 'image' in webhook.payload) {
      console.log(`${webhook.request_id}: ${webhook.payload.image.url}`)
    } else console.log(`${webhook.request_id} failed: ${webhook.error}`)
  },
}).listen(port, () => console.log(`receiving genimage webhooks on http://localhost:${port}/`))
