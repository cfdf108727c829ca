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
      "pattern": "\\S",
      "description": "What to draw. Must contain a non-space character.",
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
    }
  }
} as const
