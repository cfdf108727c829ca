// Generated from openapi/genimage.yaml by packages/core/scripts/gen.mjs. Do not edit.
/** The OpenAPI document served at `/openapi.json`. */
export const openApiDocument = {
  "openapi": "3.1.0",
  "info": {
    "title": "genimage API",
    "version": "0.1.0",
    "summary": "Prompt in, image out. SDXL Turbo behind one HTTP API, with a fal-compatible queue.",
    "description": "`POST /generate` turns a prompt into an image synchronously. The queue routes under `/queue` follow fal's\nqueue protocol (submit, status, streamed status, result, cancel), so clients written for fal can point here.\n\nEvery response carries `x-request-id`. Validation errors (422) use the FastAPI/pydantic shape\n`{ \"detail\": [ { \"loc\": [\"body\", \"width\"], \"msg\": \"...\", \"type\": \"...\" } ] }`; every other error is\n`{ \"detail\": \"human readable\" }`. 429 and 503 carry `Retry-After` (seconds).\n",
    "license": {
      "name": "MIT",
      "identifier": "MIT"
    }
  },
  "servers": [
    {
      "url": "http://localhost:8787",
      "description": "Local server (`npm start`)"
    }
  ],
  "tags": [
    {
      "name": "generate",
      "description": "Synchronous generation."
    },
    {
      "name": "queue",
      "description": "Asynchronous generation, wire-compatible with fal's queue protocol."
    },
    {
      "name": "files",
      "description": "Stored images."
    },
    {
      "name": "ops",
      "description": "Probes, metrics and the API description."
    }
  ],
  "security": [
    {},
    {
      "apiKey": []
    },
    {
      "bearer": []
    }
  ],
  "paths": {
    "/generate": {
      "post": {
        "operationId": "generate",
        "tags": [
          "generate"
        ],
        "summary": "Generate an image and wait for it",
        "description": "Runs one generation and answers when the image is ready. Send an `Idempotency-Key` to make retries safe:\nthe same key with the same body answers with the first result and never generates twice.\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/IdempotencyKey"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/GenerateRequest"
              },
              "examples": {
                "minimal": {
                  "summary": "Only a prompt",
                  "value": {
                    "prompt": "beautiful landscape scenery glass bottle with a galaxy inside"
                  }
                },
                "full": {
                  "summary": "Every field",
                  "value": {
                    "prompt": "a lighthouse at dawn, watercolor",
                    "negative_prompt": "text, watermark, blurry, low quality",
                    "width": 768,
                    "height": 512,
                    "num_inference_steps": 2,
                    "seed": 42,
                    "output_format": "webp",
                    "sync_mode": false
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The generated image.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              },
              "x-fal-request-id": {
                "$ref": "#/components/headers/FalRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/GenerateResponse"
                },
                "examples": {
                  "stored": {
                    "$ref": "#/components/examples/GenerateResponse"
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "409": {
            "$ref": "#/components/responses/IdempotencyConflict"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/ValidationError"
          },
          "429": {
            "$ref": "#/components/responses/QueueFull"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "502": {
            "$ref": "#/components/responses/ExecutionFailed"
          },
          "503": {
            "$ref": "#/components/responses/NotReady"
          },
          "504": {
            "$ref": "#/components/responses/GenerationTimeout"
          }
        }
      }
    },
    "/queue/generate": {
      "post": {
        "operationId": "submitGenerate",
        "tags": [
          "queue"
        ],
        "summary": "Submit a generation to the queue",
        "description": "Accepts the same body as `POST /generate` and answers at once with the request's URLs and queue position.\nWith `webhook_url` (or `?fal_webhook=`), the result is also POSTed there when the request ends: see the\n`generationFinished` webhook.\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/IdempotencyKey"
          },
          {
            "name": "fal_webhook",
            "in": "query",
            "required": false,
            "description": "The same as the body's `webhook_url` (fal's client sends this); giving both with different values is a 422.",
            "schema": {
              "type": "string",
              "format": "uri",
              "minLength": 1,
              "maxLength": 2048,
              "pattern": "^[!-~]+$"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/GenerateRequest"
              },
              "examples": {
                "minimal": {
                  "value": {
                    "prompt": "a red fox in the snow"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "202": {
            "description": "Accepted into the queue.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              },
              "x-fal-request-id": {
                "$ref": "#/components/headers/FalRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/QueueSubmitResponse"
                },
                "examples": {
                  "queued": {
                    "value": {
                      "request_id": "0193a4e2-6b7c-7d2e-9f00-4c1d2e3f4a5b",
                      "status": "IN_QUEUE",
                      "queue_position": 0,
                      "status_url": "http://localhost:8787/queue/requests/0193a4e2-6b7c-7d2e-9f00-4c1d2e3f4a5b/status",
                      "response_url": "http://localhost:8787/queue/requests/0193a4e2-6b7c-7d2e-9f00-4c1d2e3f4a5b",
                      "cancel_url": "http://localhost:8787/queue/requests/0193a4e2-6b7c-7d2e-9f00-4c1d2e3f4a5b/cancel"
                    }
                  }
                }
              }
            },
            "links": {
              "status": {
                "operationId": "getQueueStatus",
                "parameters": {
                  "request_id": "$response.body#/request_id"
                }
              },
              "statusStream": {
                "operationId": "streamQueueStatus",
                "parameters": {
                  "request_id": "$response.body#/request_id"
                }
              },
              "result": {
                "operationId": "getQueueResult",
                "parameters": {
                  "request_id": "$response.body#/request_id"
                }
              },
              "cancel": {
                "operationId": "cancelQueueRequest",
                "parameters": {
                  "request_id": "$response.body#/request_id"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "409": {
            "$ref": "#/components/responses/IdempotencyConflict"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/ValidationError"
          },
          "429": {
            "$ref": "#/components/responses/QueueFull"
          },
          "503": {
            "$ref": "#/components/responses/NotReady"
          }
        }
      }
    },
    "/queue/requests/{request_id}/status": {
      "get": {
        "operationId": "getQueueStatus",
        "tags": [
          "queue"
        ],
        "summary": "The status of a queued request",
        "parameters": [
          {
            "$ref": "#/components/parameters/RequestIdPath"
          },
          {
            "name": "logs",
            "in": "query",
            "description": "Include log lines (accepted for fal compatibility; `1` or `true`).",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The current status.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/QueueStatus"
                },
                "examples": {
                  "inQueue": {
                    "value": {
                      "status": "IN_QUEUE",
                      "request_id": "0193a4e2-6b7c-7d2e-9f00-4c1d2e3f4a5b",
                      "queue_position": 2,
                      "response_url": "http://localhost:8787/queue/requests/0193a4e2-6b7c-7d2e-9f00-4c1d2e3f4a5b"
                    }
                  },
                  "inProgress": {
                    "value": {
                      "status": "IN_PROGRESS",
                      "request_id": "0193a4e2-6b7c-7d2e-9f00-4c1d2e3f4a5b",
                      "response_url": "http://localhost:8787/queue/requests/0193a4e2-6b7c-7d2e-9f00-4c1d2e3f4a5b",
                      "progress": {
                        "step": 1,
                        "total_steps": 4
                      },
                      "logs": []
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        }
      }
    },
    "/queue/requests/{request_id}/status/stream": {
      "get": {
        "operationId": "streamQueueStatus",
        "tags": [
          "queue"
        ],
        "summary": "Server-sent events of the request's status until it ends",
        "description": "Each event is `event: status` with the same JSON object as the status route in `data`. The stream ends after\nthe first `COMPLETED` event. A comment line (`: ping`) is sent every 15 s to keep proxies from closing it.\nOn the wire:\n\n```text\nevent: status\ndata: {\"status\":\"IN_QUEUE\",\"request_id\":\"0193a4e2\",\"queue_position\":0,\"response_url\":\"http://localhost:8787/queue/requests/0193a4e2\"}\n\nevent: status\ndata: {\"status\":\"COMPLETED\",\"request_id\":\"0193a4e2\",\"response_url\":\"http://localhost:8787/queue/requests/0193a4e2\",\"logs\":[],\"outcome\":\"succeeded\"}\n```\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/RequestIdPath"
          },
          {
            "name": "logs",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "An event stream of `QueueStatus` objects.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "text/event-stream": {
                "schema": {
                  "$ref": "#/components/schemas/StatusEvent"
                },
                "example": {
                  "event": "status",
                  "data": "{\"status\":\"IN_QUEUE\",\"request_id\":\"0193a4e2\",\"queue_position\":0,\"response_url\":\"http://localhost:8787/queue/requests/0193a4e2\"}"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        }
      }
    },
    "/queue/requests/{request_id}": {
      "get": {
        "operationId": "getQueueResult",
        "tags": [
          "queue"
        ],
        "summary": "The result of a completed request",
        "description": "Answers with the same body and status as `POST /generate` would have: 200 with the image, or the error\n(502, 504, ...) the generation ended with. A request that is not finished, or was cancelled, answers 400\nwith a `detail` that says which.\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/RequestIdPath"
          }
        ],
        "responses": {
          "200": {
            "description": "The generated image.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              },
              "x-fal-request-id": {
                "$ref": "#/components/headers/FalRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/GenerateResponse"
                },
                "examples": {
                  "stored": {
                    "$ref": "#/components/examples/GenerateResponse"
                  }
                }
              }
            }
          },
          "400": {
            "description": "Not finished yet, or cancelled (or a malformed request, as in `BadRequest`).",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorMessage"
                },
                "examples": {
                  "inProgress": {
                    "value": {
                      "detail": "Request is still in progress"
                    }
                  },
                  "cancelled": {
                    "value": {
                      "detail": "Request was cancelled"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "502": {
            "$ref": "#/components/responses/ExecutionFailed"
          },
          "504": {
            "$ref": "#/components/responses/GenerationTimeout"
          }
        }
      }
    },
    "/queue/requests/{request_id}/cancel": {
      "put": {
        "operationId": "cancelQueueRequest",
        "tags": [
          "queue"
        ],
        "summary": "Cancel a queued or running request",
        "parameters": [
          {
            "$ref": "#/components/parameters/RequestIdPath"
          }
        ],
        "responses": {
          "202": {
            "description": "Cancellation requested; the request ends cancelled.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CancelResponse"
                },
                "example": {
                  "status": "CANCELLATION_REQUESTED"
                }
              }
            }
          },
          "400": {
            "description": "The request had already finished (a `CancelResponse`), or the request is malformed as in `BadRequest`\n(an `ErrorMessage`).\n",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "oneOf": [
                    {
                      "$ref": "#/components/schemas/CancelResponse"
                    },
                    {
                      "$ref": "#/components/schemas/ErrorMessage"
                    }
                  ]
                },
                "example": {
                  "status": "ALREADY_COMPLETED",
                  "detail": "Request 0193a4e2 has already completed"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "description": "No request with this id.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CancelResponse"
                },
                "example": {
                  "status": "NOT_FOUND",
                  "detail": "Request 0193a4e2 not found"
                }
              }
            }
          }
        }
      }
    },
    "/files/{key}": {
      "get": {
        "operationId": "getFile",
        "tags": [
          "files"
        ],
        "summary": "A stored image",
        "description": "Keys are content-addressed and never change, so responses are cacheable forever. Files need no API key: a key\nis a hash of the image, known only to whoever got the image (or could make the same one), so a file URL is a\ncapability, like a presigned URL. Two API keys that get the same bytes get the same key.\n",
        "security": [],
        "parameters": [
          {
            "name": "key",
            "in": "path",
            "required": true,
            "description": "The file key (`[A-Za-z0-9_-]+` with one extension).",
            "schema": {
              "type": "string",
              "pattern": "^[A-Za-z0-9_-]{1,128}\\.(png|jpeg|webp)$"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The image bytes.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              },
              "Cache-Control": {
                "description": "`public, max-age=31536000, immutable`",
                "schema": {
                  "type": "string"
                }
              },
              "ETag": {
                "description": "Strong validator of the bytes.",
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "image/png": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "image/png"
                }
              },
              "image/jpeg": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "image/jpeg"
                }
              },
              "image/webp": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "image/webp"
                }
              }
            }
          },
          "304": {
            "description": "Not modified (the `If-None-Match` matched)."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        }
      }
    },
    "/health": {
      "get": {
        "operationId": "getHealth",
        "tags": [
          "ops"
        ],
        "summary": "Liveness",
        "security": [],
        "responses": {
          "200": {
            "description": "The process is alive.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health"
                },
                "example": {
                  "status": "ok"
                }
              }
            }
          }
        }
      }
    },
    "/ready": {
      "get": {
        "operationId": "getReady",
        "tags": [
          "ops"
        ],
        "summary": "Readiness",
        "security": [],
        "responses": {
          "200": {
            "description": "The backend is warm and accepting work.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Readiness"
                },
                "example": {
                  "status": "ready",
                  "backend": "synthetic",
                  "queue_depth": 0
                }
              }
            }
          },
          "503": {
            "description": "Not ready (starting, warming up, restarting or draining).",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              },
              "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Readiness"
                },
                "example": {
                  "status": "starting",
                  "backend": "comfyui",
                  "queue_depth": 0
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "getMetrics",
        "tags": [
          "ops"
        ],
        "summary": "Prometheus metrics",
        "security": [],
        "responses": {
          "200": {
            "description": "Metrics in the Prometheus text exposition format.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                },
                "example": "# HELP genimage_queue_depth Jobs waiting in the queue.\n# TYPE genimage_queue_depth gauge\ngenimage_queue_depth 0\n"
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "getOpenApi",
        "tags": [
          "ops"
        ],
        "summary": "This API description as JSON",
        "security": [],
        "responses": {
          "200": {
            "description": "The OpenAPI document.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          }
        }
      }
    },
    "/docs": {
      "get": {
        "operationId": "getDocs",
        "tags": [
          "ops"
        ],
        "summary": "Rendered API reference",
        "security": [],
        "responses": {
          "200": {
            "description": "An HTML page rendering this description.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          }
        }
      }
    }
  },
  "webhooks": {
    "generationFinished": {
      "post": {
        "operationId": "generationFinished",
        "summary": "A queued request with a webhook_url ended",
        "description": "Sent once per request that was submitted with `webhook_url`, when it ends (succeeded, failed or cancelled), to\nthat URL. Signed as [Standard Webhooks](https://www.standardwebhooks.com/) specifies: `webhook-signature` is\n`v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<raw body>` under each of the server's\n`WEBHOOK_SECRETS` (space-separated, so a secret can be rotated without downtime), and a receiver must refuse a\ntimestamp more than 5 minutes away from its clock. `verifyWebhook` in `@genimage/client` does all of it.\nAny 2xx answer acknowledges the delivery; anything else, or no answer within 10 s, is retried with\nexponential backoff for a bounded time (`WEBHOOK_RETRY_FOR_S`). The same `webhook-id` is sent on every\nattempt, so receivers can drop duplicates.\n",
        "parameters": [
          {
            "name": "webhook-id",
            "in": "header",
            "required": true,
            "description": "The delivery's id, the same on every retry.",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "webhook-timestamp",
            "in": "header",
            "required": true,
            "description": "Unix seconds when this attempt was signed.",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]+$"
            }
          },
          {
            "name": "webhook-signature",
            "in": "header",
            "required": true,
            "description": "One or more space-separated `v1,<base64>` signatures.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/WebhookPayload"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Any 2xx acknowledges the delivery."
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Authorization: Key <key>` (fal style)."
      },
      "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <key>`."
      }
    },
    "parameters": {
      "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "Makes the request safe to retry. The same key with the same body answers with the first request's outcome\nand generates once (a failed or cancelled request runs again); the same key with a different body answers\n409. Keys are 1 to 255 printable ASCII characters (space to `~`); an empty or longer key, or one with other\ncharacters, answers 400 (HTTP strips spaces at either end of a header value). Keys belong to the API key\nthat sent them: another API key using the same Idempotency-Key starts its own request and never learns of\nthe first. The server remembers keys for 24 hours\nby default, and a bounded number of them (10,000 by default; the oldest are forgotten first).\n",
        "schema": {
          "type": "string",
          "minLength": 1,
          "maxLength": 255,
          "pattern": "^[\\x21-\\x7E]([\\x20-\\x7E]{0,253}[\\x21-\\x7E])?$"
        },
        "example": "5f0c7a1e-3b7d-4f8a-9a0e-2d6c1b9e8f71"
      },
      "RequestIdPath": {
        "name": "request_id",
        "in": "path",
        "required": true,
        "description": "The id returned by `POST /queue/generate`.",
        "schema": {
          "type": "string",
          "minLength": 1,
          "maxLength": 128
        }
      }
    },
    "headers": {
      "RequestId": {
        "description": "Identifies this HTTP request in the server's logs (echoes the caller's `x-request-id` when sent).",
        "schema": {
          "type": "string"
        }
      },
      "FalRequestId": {
        "description": "The queue request id of the generation this answer belongs to (the header fal's clients read).",
        "schema": {
          "type": "string"
        }
      },
      "RetryAfter": {
        "description": "Seconds to wait before trying again.",
        "schema": {
          "type": "integer",
          "minimum": 0
        }
      }
    },
    "responses": {
      "BadRequest": {
        "description": "The request is malformed: the body is empty, not UTF-8, not valid JSON, or nests arrays and objects deeper\nthan 32 levels; or a header or path parameter is invalid (an `Idempotency-Key` outside the documented form,\na file key that is not `<name>.<png|jpeg|webp>`, a `Host` outside the allowed hosts).\n",
        "headers": {
          "x-request-id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorMessage"
            },
            "example": {
              "detail": "Malformed JSON body: Unexpected token } in JSON at position 12"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "Missing or wrong API key.",
        "headers": {
          "x-request-id": {
            "$ref": "#/components/headers/RequestId"
          },
          "WWW-Authenticate": {
            "schema": {
              "type": "string"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorMessage"
            },
            "example": {
              "detail": "Missing or invalid API key: send 'Authorization: Key <key>' or 'Authorization: Bearer <key>'"
            }
          }
        }
      },
      "NotFound": {
        "description": "No such request id or file. A request submitted with another API key answers exactly as an unknown id: each\nAPI key sees only its own requests. Finished requests are forgotten after the retention period (1 hour and\n10,000 requests by default).\n",
        "headers": {
          "x-request-id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorMessage"
            },
            "example": {
              "detail": "Request 0193a4e2 not found"
            }
          }
        }
      },
      "IdempotencyConflict": {
        "description": "The `Idempotency-Key` was already used with a different body.",
        "headers": {
          "x-request-id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorMessage"
            },
            "example": {
              "detail": "Idempotency-Key was already used with a different request body"
            }
          }
        }
      },
      "PayloadTooLarge": {
        "description": "The body is larger than the server accepts (64 KiB by default).",
        "headers": {
          "x-request-id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorMessage"
            },
            "example": {
              "detail": "Request body is larger than 65536 bytes"
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "The body is not `application/json` (or another `+json` type), or its `charset` is not UTF-8: bodies are read\nas UTF-8 only, and a `charset` other than `utf-8` (for example `utf-16`) is refused rather than misread.\n",
        "headers": {
          "x-request-id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorMessage"
            },
            "example": {
              "detail": "Content-Type must be application/json"
            }
          }
        }
      },
      "ValidationError": {
        "description": "The body is JSON but a field is missing, of the wrong type or out of range.",
        "headers": {
          "x-request-id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ValidationErrorBody"
            },
            "example": {
              "detail": [
                {
                  "loc": [
                    "body",
                    "width"
                  ],
                  "msg": "Input should be a multiple of 8",
                  "type": "multiple_of",
                  "input": 513,
                  "ctx": {
                    "multiple_of": 8
                  }
                }
              ]
            }
          }
        }
      },
      "QueueFull": {
        "description": "The queue is full; try again after `Retry-After` seconds.",
        "headers": {
          "x-request-id": {
            "$ref": "#/components/headers/RequestId"
          },
          "Retry-After": {
            "$ref": "#/components/headers/RetryAfter"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorMessage"
            },
            "example": {
              "detail": "Queue is full (64 waiting); retry after 2 s"
            }
          }
        }
      },
      "InternalError": {
        "description": "An unexpected server error.",
        "headers": {
          "x-request-id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorMessage"
            },
            "example": {
              "detail": "Internal server error"
            }
          }
        }
      },
      "ExecutionFailed": {
        "description": "The image backend failed to run the generation (a node error, out of GPU memory).",
        "headers": {
          "x-request-id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorMessage"
            },
            "example": {
              "detail": "Generation failed: CUDA out of memory in node 13 (SamplerCustom)"
            }
          }
        }
      },
      "NotReady": {
        "description": "The backend is starting, restarting or draining; try again after `Retry-After` seconds.",
        "headers": {
          "x-request-id": {
            "$ref": "#/components/headers/RequestId"
          },
          "Retry-After": {
            "$ref": "#/components/headers/RetryAfter"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorMessage"
            },
            "example": {
              "detail": "Server is not ready: backend is restarting"
            }
          }
        }
      },
      "GenerationTimeout": {
        "description": "The generation did not finish in the server's time limit.",
        "headers": {
          "x-request-id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorMessage"
            },
            "example": {
              "detail": "Generation timed out after 60000 ms"
            }
          }
        }
      }
    },
    "examples": {
      "GenerateResponse": {
        "value": {
          "image": {
            "url": "http://localhost:8787/files/6f1c2a9e0b7d4c3e.png",
            "content_type": "image/png",
            "file_name": "6f1c2a9e0b7d4c3e.png",
            "file_size": 12043,
            "width": 512,
            "height": 512
          },
          "images": [
            {
              "url": "http://localhost:8787/files/6f1c2a9e0b7d4c3e.png",
              "content_type": "image/png",
              "file_name": "6f1c2a9e0b7d4c3e.png",
              "file_size": 12043,
              "width": 512,
              "height": 512
            }
          ],
          "seed": 42,
          "timings": {
            "queue_ms": 0.4,
            "inference_ms": 96.2,
            "encode_ms": 1.3,
            "total_ms": 98.7
          }
        }
      }
    },
    "schemas": {
      "GenerateRequest": {
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
      },
      "GenerateResponse": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "image",
          "images",
          "seed",
          "timings"
        ],
        "properties": {
          "image": {
            "$ref": "#/components/schemas/Image"
          },
          "images": {
            "type": "array",
            "minItems": 1,
            "maxItems": 4,
            "items": {
              "$ref": "#/components/schemas/Image"
            },
            "description": "Every image, `num_images` of them, in seed order (`seed`, `seed + 1`, …). `image` is `images[0]`, kept so\nthat the one-image shape stays as it was.\n"
          },
          "seed": {
            "type": "integer",
            "minimum": 0,
            "description": "The seed used (the first image's; image `i` used `seed + i`)."
          },
          "timings": {
            "$ref": "#/components/schemas/Timings"
          }
        }
      },
      "Image": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "url",
          "content_type",
          "file_name",
          "file_size",
          "width",
          "height"
        ],
        "properties": {
          "url": {
            "type": "string",
            "description": "An absolute URL under `/files/`, or a `data:` URI with `sync_mode`."
          },
          "content_type": {
            "type": "string",
            "enum": [
              "image/png",
              "image/jpeg",
              "image/webp"
            ]
          },
          "file_name": {
            "type": "string"
          },
          "file_size": {
            "type": "integer",
            "minimum": 1,
            "description": "Size of the encoded image in bytes."
          },
          "width": {
            "type": "integer"
          },
          "height": {
            "type": "integer"
          }
        }
      },
      "Timings": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "queue_ms",
          "inference_ms",
          "encode_ms",
          "total_ms"
        ],
        "description": "Where the time went, in milliseconds.",
        "properties": {
          "queue_ms": {
            "type": "number",
            "description": "Waiting in the queue."
          },
          "inference_ms": {
            "type": "number",
            "description": "Running on the backend (text encode, sampling, decode)."
          },
          "encode_ms": {
            "type": "number",
            "description": "Encoding and storing the image."
          },
          "total_ms": {
            "type": "number",
            "description": "From accepting the request to answering."
          }
        }
      },
      "QueueSubmitResponse": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "request_id",
          "status",
          "queue_position",
          "status_url",
          "response_url",
          "cancel_url"
        ],
        "properties": {
          "request_id": {
            "type": "string"
          },
          "status": {
            "type": "string",
            "const": "IN_QUEUE"
          },
          "queue_position": {
            "type": "integer",
            "minimum": 0
          },
          "status_url": {
            "type": "string"
          },
          "response_url": {
            "type": "string"
          },
          "cancel_url": {
            "type": "string"
          }
        }
      },
      "QueueStatus": {
        "oneOf": [
          {
            "$ref": "#/components/schemas/InQueueStatus"
          },
          {
            "$ref": "#/components/schemas/InProgressStatus"
          },
          {
            "$ref": "#/components/schemas/CompletedStatus"
          }
        ],
        "discriminator": {
          "propertyName": "status",
          "mapping": {
            "IN_QUEUE": "#/components/schemas/InQueueStatus",
            "IN_PROGRESS": "#/components/schemas/InProgressStatus",
            "COMPLETED": "#/components/schemas/CompletedStatus"
          }
        }
      },
      "InQueueStatus": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "status",
          "request_id",
          "queue_position",
          "response_url"
        ],
        "properties": {
          "status": {
            "type": "string",
            "const": "IN_QUEUE"
          },
          "request_id": {
            "type": "string"
          },
          "queue_position": {
            "type": "integer",
            "minimum": 0,
            "description": "Jobs ahead of this one (0 = next)."
          },
          "response_url": {
            "type": "string"
          }
        }
      },
      "InProgressStatus": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "status",
          "request_id",
          "response_url",
          "progress",
          "logs"
        ],
        "properties": {
          "status": {
            "type": "string",
            "const": "IN_PROGRESS"
          },
          "request_id": {
            "type": "string"
          },
          "response_url": {
            "type": "string"
          },
          "progress": {
            "$ref": "#/components/schemas/Progress"
          },
          "logs": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/LogLine"
            }
          }
        }
      },
      "CompletedStatus": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "status",
          "request_id",
          "response_url",
          "logs",
          "outcome"
        ],
        "properties": {
          "status": {
            "type": "string",
            "const": "COMPLETED"
          },
          "request_id": {
            "type": "string"
          },
          "response_url": {
            "type": "string"
          },
          "logs": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/LogLine"
            }
          },
          "outcome": {
            "type": "string",
            "enum": [
              "succeeded",
              "failed",
              "cancelled"
            ],
            "description": "How it ended; fetch `response_url` for the image or the error."
          },
          "error": {
            "type": "string",
            "description": "The error message when `outcome` is `failed` or `cancelled`."
          },
          "metrics": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "inference_time": {
                "type": "number",
                "description": "Seconds spent generating (fal's field)."
              }
            }
          }
        }
      },
      "Progress": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "step",
          "total_steps"
        ],
        "properties": {
          "step": {
            "type": "integer",
            "minimum": 0
          },
          "total_steps": {
            "type": "integer",
            "minimum": 1
          }
        }
      },
      "LogLine": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "message",
          "level",
          "timestamp"
        ],
        "properties": {
          "message": {
            "type": "string"
          },
          "level": {
            "type": "string",
            "enum": [
              "DEBUG",
              "INFO",
              "WARN",
              "ERROR"
            ]
          },
          "timestamp": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "CancelResponse": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "CANCELLATION_REQUESTED",
              "ALREADY_COMPLETED",
              "NOT_FOUND"
            ],
            "description": "fal's cancellation status."
          },
          "detail": {
            "type": "string",
            "description": "A human-readable explanation, on 400 and 404 (the `detail` every other error carries)."
          }
        }
      },
      "StatusEvent": {
        "type": "object",
        "description": "One server-sent event of the status stream: `event: status` and `data:` one `QueueStatus` as JSON on a single\nline. Comment lines (`: ping`) between events keep proxies from closing the stream and carry no event.\n",
        "required": [
          "event",
          "data"
        ],
        "properties": {
          "event": {
            "type": "string",
            "const": "status"
          },
          "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {
              "$ref": "#/components/schemas/QueueStatus"
            }
          }
        }
      },
      "Health": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "type": "string",
            "const": "ok"
          }
        }
      },
      "Readiness": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "status",
          "backend",
          "queue_depth"
        ],
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "ready",
              "starting",
              "warming_up",
              "restarting",
              "draining"
            ]
          },
          "backend": {
            "type": "string",
            "description": "The backend's name (`synthetic`, `comfyui`)."
          },
          "queue_depth": {
            "type": "integer",
            "minimum": 0
          },
          "detail": {
            "type": "string"
          }
        }
      },
      "WebhookPayload": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "request_id",
          "status",
          "payload",
          "error"
        ],
        "description": "What a webhook delivers (fal's shape). `payload` is exactly the body `response_url` answers: the\n`GenerateResponse` when `status` is `OK`, the error body otherwise (`{ detail }`, whose `detail` is the list\nof issues when the backend refused the input with 422).\n",
        "properties": {
          "request_id": {
            "type": "string"
          },
          "status": {
            "type": "string",
            "enum": [
              "OK",
              "ERROR"
            ]
          },
          "payload": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/GenerateResponse"
              },
              {
                "$ref": "#/components/schemas/ErrorMessage"
              },
              {
                "$ref": "#/components/schemas/ValidationErrorBody"
              }
            ]
          },
          "error": {
            "type": [
              "string",
              "null"
            ],
            "description": "Why it failed or was cancelled, when `status` is `ERROR`."
          }
        }
      },
      "ErrorMessage": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "detail"
        ],
        "properties": {
          "detail": {
            "type": "string"
          }
        }
      },
      "ValidationErrorBody": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "detail"
        ],
        "properties": {
          "detail": {
            "type": "array",
            "minItems": 1,
            "items": {
              "$ref": "#/components/schemas/ValidationIssue"
            }
          }
        }
      },
      "ValidationIssue": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "loc",
          "msg",
          "type"
        ],
        "properties": {
          "loc": {
            "type": "array",
            "items": {
              "oneOf": [
                {
                  "type": "string"
                },
                {
                  "type": "integer"
                }
              ]
            },
            "description": "Where the problem is, for example `[\"body\", \"width\"]`."
          },
          "msg": {
            "type": "string"
          },
          "type": {
            "type": "string",
            "description": "Machine-readable kind: `missing`, `int_type`, `multiple_of`, `greater_than_equal`, and so on."
          },
          "input": {
            "description": "The offending value, when there is one, shortened so that an answer stays small: strings past 64\ncharacters are cut and end in `…`; arrays and objects keep 16 entries (then one `…` entry) and 2 levels\n(deeper ones read `[…]` or `{…}`).\n"
          },
          "ctx": {
            "type": "object",
            "additionalProperties": true,
            "description": "The constraint that failed, for example `{\"multiple_of\": 8}`."
          }
        }
      }
    }
  }
} as const
