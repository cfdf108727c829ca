// Generated from openapi/genimage.yaml by packages/core/scripts/gen.mjs. Do not edit.
/** The JSON Schema of a generate request body, as the contract states it. */
export const generateRequestSchema = {
  "type": "object",
  "additionalProperties": false,
  "required": [
    "prompt"
  ],
  "properties": {
    "prompt": {
      "type": "string",
      "minLength": 1,
      "maxLength": 2000,
      "pattern": "[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u206F\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0\\uFFF0-\\uFFF8]",
      "x-pattern-message": "String should contain a visible character, not only whitespace, control or invisible characters",
      "description": "What to draw, in UTF-8 (emoji and any script are fine). It must contain at least one visible character: a\nprompt made only of the following is refused with 422 (`string_pattern_mismatch` at `[\"body\", \"prompt\"]`):\nwhitespace (Unicode `White_Space`, such as U+0020, U+00A0, U+3000), control characters (U+0000–U+001F,\nU+007F–U+009F, NUL included) and the invisible characters of the Basic Multilingual Plane that Unicode\nmarks `Default_Ignorable_Code_Point` (U+00AD soft hyphen, U+034F, U+061C, U+115F–U+1160, U+17B4–U+17B5,\nU+180B–U+180F, U+200B–U+200F zero-width space/joiners and marks, U+202A–U+202E, U+2060–U+206F, U+3164,\nU+FE00–U+FE0F variation selectors, U+FEFF, U+FFA0, U+FFF0–U+FFF8). Such characters are kept when the\nprompt also has a visible one.\n",
      "examples": [
        "beautiful landscape scenery glass bottle with a galaxy inside"
      ]
    },
    "negative_prompt": {
      "type": "string",
      "maxLength": 2000,
      "default": "text, watermark, blurry, low quality",
      "description": "What to steer away from."
    },
    "width": {
      "type": "integer",
      "minimum": 256,
      "maximum": 1024,
      "multipleOf": 8,
      "default": 512,
      "description": "Image width in pixels (a multiple of 8, because the latent is 1/8 of the image)."
    },
    "height": {
      "type": "integer",
      "minimum": 256,
      "maximum": 1024,
      "multipleOf": 8,
      "default": 512,
      "description": "Image height in pixels (a multiple of 8)."
    },
    "num_inference_steps": {
      "type": "integer",
      "minimum": 1,
      "maximum": 4,
      "default": 1,
      "description": "Sampling steps. SDXL Turbo is trained for 1–4."
    },
    "seed": {
      "type": "integer",
      "minimum": 0,
      "maximum": 9007199254740991,
      "description": "Noise seed. The server picks one when absent and returns it; the same seed and inputs give the same image."
    },
    "output_format": {
      "type": "string",
      "enum": [
        "png",
        "jpeg",
        "webp"
      ],
      "default": "png",
      "description": "Encoding of the returned image."
    },
    "sync_mode": {
      "type": "boolean",
      "default": false,
      "description": "Return the image inline as a `data:` URI instead of a stored URL."
    },
    "num_images": {
      "type": "integer",
      "minimum": 1,
      "maximum": 4,
      "default": 1,
      "description": "How many images to make from this prompt, in one batch. Image `i` (0-based) uses seed `seed + i`, so each\none can be made again alone with its own seed. The response lists them all in `images`. `seed +\nnum_images - 1` must stay within the seed's maximum (422 otherwise).\n"
    },
    "image_url": {
      "type": "string",
      "minLength": 1,
      "maxLength": 6000000,
      "description": "Image-to-image: the picture to start from. A `data:` URI (`image/png`, `image/jpeg` or `image/webp`,\nbase64) or a URL under this server's own `/files/`; other `http(s)` URLs only when the server's operator\nallowlists their host (`IMAGE_URL_ALLOWED_HOSTS`), and never to private, loopback or link-local\naddresses. The image is resized to `width` × `height`. At most 4 MiB and 4096 × 4096 pixels by default;\nanything that is not a readable PNG, JPEG or WebP is refused with 422.\n"
    },
    "strength": {
      "type": "number",
      "exclusiveMinimum": 0,
      "maximum": 1,
      "default": 0.5,
      "description": "Image-to-image only (422 without `image_url`): how far to move away from the input image, from near 0\n(keep it) to 1 (ignore it). As SDXL Turbo's model card says, `strength × num_inference_steps` must be at\nleast 1: when `num_inference_steps` is absent it defaults to the smallest count that makes it so (2 for\nthe default 0.5), and a combination below 1 is refused with 422.\n"
    },
    "webhook_url": {
      "type": "string",
      "format": "uri",
      "minLength": 1,
      "maxLength": 2048,
      "pattern": "^[!-~]+$",
      "x-pattern-message": "String should be a URL in printable ASCII (percent-encode other characters)",
      "description": "`POST /queue/generate` only (422 on `POST /generate`): an `http(s)` URL, in printable ASCII\n(percent-encode anything else), that the server POSTs the result to when the request ends, signed as the `generationFinished` webhook describes. Private, loopback and\nlink-local targets are refused unless the operator allowlists them (`WEBHOOK_ALLOWED_HOSTS`).\n`?fal_webhook=<url>` on the submit URL (what fal's client sends) is the same.\n"
    }
  }
} as const
