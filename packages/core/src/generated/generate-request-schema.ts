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
    }
  }
} as const
