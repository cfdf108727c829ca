import { createClient, ValidationError } from '@genimage/client'
import { setupGenimageWorker } from '@genimage/mocks/browser'

// The mocks README's browser setup (msw 3 spells `onUnhandledRequest` as `onUnhandledFrame`): the API is answered by
// msw's service worker, which `npx msw init public` copied into public/.
// `?scenario=invalid` makes the next request fail validation, as a test of the page's error message would.
const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

async function start(): Promise<void> {
  const { worker, genimage } = setupGenimageWorker({ baseUrl: '/api', stepMs: 50 })
  await worker.start({ serviceWorker: { url: '/mockServiceWorker.js' }, onUnhandledFrame: 'bypass', quiet: true })
  if (new URLSearchParams(location.search).get('scenario') === 'invalid') {
    worker.use(...genimage.scenarios.validationError({ width: 300 }))
  }
  const client = createClient({ baseUrl: new URL('/api', location.href).href })

  element('generate').addEventListener('click', async () => {
    element('progress').replaceChildren()
    try {
      const { image } = await client.subscribe(
        { prompt: 'a lighthouse at dawn', width: 384, height: 256, num_inference_steps: 4 },
        {
          onProgress: ({ step, total_steps }) => {
            const item = document.createElement('li')
            item.textContent = `${step}/${total_steps}`
            element('progress').append(item)
          },
        },
      )
      const img = element<HTMLImageElement>('image')
      img.src = image.url
      img.hidden = false
    } catch (error) {
      element('error').textContent =
        error instanceof ValidationError
          ? `Please check ${error.fieldErrors('width').length > 0 ? 'width' : 'the form'}.`
          : String(error)
    }
  })
  document.body.dataset['ready'] = 'true'
}

void start()
