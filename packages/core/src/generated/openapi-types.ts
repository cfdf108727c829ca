// Generated from openapi/genimage.yaml by packages/core/scripts/gen.mjs. Do not edit.
export type paths = {
    "/generate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Generate an image and wait for it
         * @description Runs one generation and answers when the image is ready. Send an `Idempotency-Key` to make retries safe:
         *     the same key with the same body answers with the first result and never generates twice.
         */
        post: operations["generate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/queue/generate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Submit a generation to the queue
         * @description Accepts the same body as `POST /generate` and answers at once with the request's URLs and queue position.
         *     With `webhook_url` (or `?fal_webhook=`), the result is also POSTed there when the request ends: see the
         *     `generationFinished` webhook.
         */
        post: operations["submitGenerate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/queue/requests/{request_id}/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The status of a queued request */
        get: operations["getQueueStatus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/queue/requests/{request_id}/status/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Server-sent events of the request's status until it ends
         * @description Each event is `event: status` with the same JSON object as the status route in `data`. The stream ends after
         *     the first `COMPLETED` event. A comment line (`: ping`) is sent every 15 s to keep proxies from closing it.
         *     On the wire:
         *
         *     ```text
         *     event: status
         *     data: {"status":"IN_QUEUE","request_id":"0193a4e2","queue_position":0,"response_url":"http://localhost:8787/queue/requests/0193a4e2"}
         *
         *     event: status
         *     data: {"status":"COMPLETED","request_id":"0193a4e2","response_url":"http://localhost:8787/queue/requests/0193a4e2","logs":[],"outcome":"succeeded"}
         *     ```
         */
        get: operations["streamQueueStatus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/queue/requests/{request_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The result of a completed request
         * @description Answers with the same body and status as `POST /generate` would have: 200 with the image, or the error
         *     (502, 504, ...) the generation ended with. A request that is not finished, or was cancelled, answers 400
         *     with a `detail` that says which.
         */
        get: operations["getQueueResult"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/queue/requests/{request_id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Cancel a queued or running request */
        put: operations["cancelQueueRequest"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/files/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A stored image
         * @description Keys are content-addressed and never change, so responses are cacheable forever. Files need no API key: a key
         *     is a hash of the image, known only to whoever got the image (or could make the same one), so a file URL is a
         *     capability, like a presigned URL. Two API keys that get the same bytes get the same key.
         */
        get: operations["getFile"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness */
        get: operations["getReady"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This API description as JSON */
        get: operations["getOpenApi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/docs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Rendered API reference */
        get: operations["getDocs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
};
export type webhooks = {
    generationFinished: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A queued request with a webhook_url ended
         * @description Sent once per request that was submitted with `webhook_url`, when it ends (succeeded, failed or cancelled), to
         *     that URL. Signed as [Standard Webhooks](https://www.standardwebhooks.com/) specifies: `webhook-signature` is
         *     `v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<raw body>` under each of the server's
         *     `WEBHOOK_SECRETS` (space-separated, so a secret can be rotated without downtime), and a receiver must refuse a
         *     timestamp more than 5 minutes away from its clock. `verifyWebhook` in `@genimage/client` does all of it.
         *     Any 2xx answer acknowledges the delivery; anything else, or no answer within 10 s, is retried with
         *     exponential backoff for a bounded time (`WEBHOOK_RETRY_FOR_S`). The same `webhook-id` is sent on every
         *     attempt, so receivers can drop duplicates.
         */
        post: operations["generationFinished"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
};
export type components = {
    schemas: {
        GenerateRequest: {
            /**
             * @description What to draw, in UTF-8 (emoji and any script are fine). It must contain at least one visible character: a
             *     prompt made only of the following is refused with 422 (`string_pattern_mismatch` at `["body", "prompt"]`):
             *     whitespace (Unicode `White_Space`, such as U+0020, U+00A0, U+3000), control characters (U+0000–U+001F,
             *     U+007F–U+009F, NUL included) and the invisible characters of the Basic Multilingual Plane that Unicode
             *     marks `Default_Ignorable_Code_Point` (U+00AD soft hyphen, U+034F, U+061C, U+115F–U+1160, U+17B4–U+17B5,
             *     U+180B–U+180F, U+200B–U+200F zero-width space/joiners and marks, U+202A–U+202E, U+2060–U+206F, U+3164,
             *     U+FE00–U+FE0F variation selectors, U+FEFF, U+FFA0, U+FFF0–U+FFF8). Such characters are kept when the
             *     prompt also has a visible one.
             * @example beautiful landscape scenery glass bottle with a galaxy inside
             */
            prompt: string;
            /**
             * @description What to steer away from.
             * @default text, watermark, blurry, low quality
             */
            negative_prompt?: string;
            /**
             * @description Image width in pixels (a multiple of 8, because the latent is 1/8 of the image).
             * @default 512
             */
            width?: number;
            /**
             * @description Image height in pixels (a multiple of 8).
             * @default 512
             */
            height?: number;
            /**
             * @description Sampling steps. SDXL Turbo is trained for 1–4.
             * @default 1
             */
            num_inference_steps?: number;
            /** @description Noise seed. The server picks one when absent and returns it; the same seed and inputs give the same image. */
            seed?: number;
            /**
             * @description Encoding of the returned image.
             * @default png
             * @enum {string}
             */
            output_format?: "png" | "jpeg" | "webp";
            /**
             * @description Return the image inline as a `data:` URI instead of a stored URL.
             * @default false
             */
            sync_mode?: boolean;
            /**
             * @description How many images to make from this prompt, in one batch. Image `i` (0-based) uses seed `seed + i`, so each
             *     one can be made again alone with its own seed. The response lists them all in `images`. `seed +
             *     num_images - 1` must stay within the seed's maximum (422 otherwise).
             * @default 1
             */
            num_images?: number;
            /**
             * @description Image-to-image: the picture to start from. A `data:` URI (`image/png`, `image/jpeg` or `image/webp`,
             *     base64) or a URL under this server's own `/files/`; other `http(s)` URLs only when the server's operator
             *     allowlists their host (`IMAGE_URL_ALLOWED_HOSTS`), and never to private, loopback or link-local
             *     addresses. The image is resized to `width` × `height`. At most 4 MiB and 4096 × 4096 pixels by default;
             *     anything that is not a readable PNG, JPEG or WebP is refused with 422.
             */
            image_url?: string;
            /**
             * @description Image-to-image only (422 without `image_url`): how far to move away from the input image, from near 0
             *     (keep it) to 1 (ignore it). As SDXL Turbo's model card says, `strength × num_inference_steps` must be at
             *     least 1: when `num_inference_steps` is absent it defaults to the smallest count that makes it so (2 for
             *     the default 0.5), and a combination below 1 is refused with 422.
             * @default 0.5
             */
            strength?: number;
            /**
             * Format: uri
             * @description `POST /queue/generate` only (422 on `POST /generate`): an `http(s)` URL, in printable ASCII
             *     (percent-encode anything else), that the server POSTs the result to when the request ends, signed as the `generationFinished` webhook describes. Private, loopback and
             *     link-local targets are refused unless the operator allowlists them (`WEBHOOK_ALLOWED_HOSTS`).
             *     `?fal_webhook=<url>` on the submit URL (what fal's client sends) is the same.
             */
            webhook_url?: string;
        };
        GenerateResponse: {
            image: components["schemas"]["Image"];
            /**
             * @description Every image, `num_images` of them, in seed order (`seed`, `seed + 1`, …). `image` is `images[0]`, kept so
             *     that the one-image shape stays as it was.
             */
            images: components["schemas"]["Image"][];
            /** @description The seed used (the first image's; image `i` used `seed + i`). */
            seed: number;
            timings: components["schemas"]["Timings"];
        };
        Image: {
            /** @description An absolute URL under `/files/`, or a `data:` URI with `sync_mode`. */
            url: string;
            /** @enum {string} */
            content_type: "image/png" | "image/jpeg" | "image/webp";
            file_name: string;
            /** @description Size of the encoded image in bytes. */
            file_size: number;
            width: number;
            height: number;
        };
        /** @description Where the time went, in milliseconds. */
        Timings: {
            /** @description Waiting in the queue. */
            queue_ms: number;
            /** @description Running on the backend (text encode, sampling, decode). */
            inference_ms: number;
            /** @description Encoding and storing the image. */
            encode_ms: number;
            /** @description From accepting the request to answering. */
            total_ms: number;
        };
        QueueSubmitResponse: {
            request_id: string;
            /** @constant */
            status: "IN_QUEUE";
            queue_position: number;
            status_url: string;
            response_url: string;
            cancel_url: string;
        };
        QueueStatus: components["schemas"]["InQueueStatus"] | components["schemas"]["InProgressStatus"] | components["schemas"]["CompletedStatus"];
        InQueueStatus: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            status: "IN_QUEUE";
            request_id: string;
            /** @description Jobs ahead of this one (0 = next). */
            queue_position: number;
            response_url: string;
        };
        InProgressStatus: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            status: "IN_PROGRESS";
            request_id: string;
            response_url: string;
            progress: components["schemas"]["Progress"];
            logs: components["schemas"]["LogLine"][];
        };
        CompletedStatus: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            status: "COMPLETED";
            request_id: string;
            response_url: string;
            logs: components["schemas"]["LogLine"][];
            /**
             * @description How it ended; fetch `response_url` for the image or the error.
             * @enum {string}
             */
            outcome: "succeeded" | "failed" | "cancelled";
            /** @description The error message when `outcome` is `failed` or `cancelled`. */
            error?: string;
            metrics?: {
                /** @description Seconds spent generating (fal's field). */
                inference_time?: number;
            };
        };
        Progress: {
            step: number;
            total_steps: number;
        };
        LogLine: {
            message: string;
            /** @enum {string} */
            level: "DEBUG" | "INFO" | "WARN" | "ERROR";
            /** Format: date-time */
            timestamp: string;
        };
        CancelResponse: {
            /**
             * @description fal's cancellation status.
             * @enum {string}
             */
            status: "CANCELLATION_REQUESTED" | "ALREADY_COMPLETED" | "NOT_FOUND";
            /** @description A human-readable explanation, on 400 and 404 (the `detail` every other error carries). */
            detail?: string;
        };
        /**
         * @description One server-sent event of the status stream: `event: status` and `data:` one `QueueStatus` as JSON on a single
         *     line. Comment lines (`: ping`) between events keep proxies from closing the stream and carry no event.
         */
        StatusEvent: {
            /** @constant */
            event: "status";
            data: string;
        };
        Health: {
            /** @constant */
            status: "ok";
        };
        Readiness: {
            /** @enum {string} */
            status: "ready" | "starting" | "warming_up" | "restarting" | "draining";
            /** @description The backend's name (`synthetic`, `comfyui`). */
            backend: string;
            queue_depth: number;
            detail?: string;
        };
        /**
         * @description What a webhook delivers (fal's shape). `payload` is exactly the body `response_url` answers: the
         *     `GenerateResponse` when `status` is `OK`, the error body otherwise (`{ detail }`, whose `detail` is the list
         *     of issues when the backend refused the input with 422).
         */
        WebhookPayload: {
            request_id: string;
            /** @enum {string} */
            status: "OK" | "ERROR";
            payload: components["schemas"]["GenerateResponse"] | components["schemas"]["ErrorMessage"] | components["schemas"]["ValidationErrorBody"];
            /** @description Why it failed or was cancelled, when `status` is `ERROR`. */
            error: string | null;
        };
        ErrorMessage: {
            detail: string;
        };
        ValidationErrorBody: {
            detail: components["schemas"]["ValidationIssue"][];
        };
        ValidationIssue: {
            /** @description Where the problem is, for example `["body", "width"]`. */
            loc: (string | number)[];
            msg: string;
            /** @description Machine-readable kind: `missing`, `int_type`, `multiple_of`, `greater_than_equal`, and so on. */
            type: string;
            /**
             * @description The offending value, when there is one, shortened so that an answer stays small: strings past 64
             *     characters are cut and end in `…`; arrays and objects keep 16 entries (then one `…` entry) and 2 levels
             *     (deeper ones read `[…]` or `{…}`).
             */
            input?: unknown;
            /** @description The constraint that failed, for example `{"multiple_of": 8}`. */
            ctx?: {
                [key: string]: unknown;
            };
        };
    };
    responses: {
        /**
         * @description The request is malformed: the body is empty, not UTF-8, not valid JSON, or nests arrays and objects deeper
         *     than 32 levels; or a header or path parameter is invalid (an `Idempotency-Key` outside the documented form,
         *     a file key that is not `<name>.<png|jpeg|webp>`, a `Host` outside the allowed hosts).
         */
        BadRequest: {
            headers: {
                "x-request-id": components["headers"]["RequestId"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Malformed JSON body: Unexpected token } in JSON at position 12"
                 *     }
                 */
                "application/json": components["schemas"]["ErrorMessage"];
            };
        };
        /** @description Missing or wrong API key. */
        Unauthorized: {
            headers: {
                "x-request-id": components["headers"]["RequestId"];
                "WWW-Authenticate"?: string;
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Missing or invalid API key: send 'Authorization: Key <key>' or 'Authorization: Bearer <key>'"
                 *     }
                 */
                "application/json": components["schemas"]["ErrorMessage"];
            };
        };
        /**
         * @description No such request id or file. A request submitted with another API key answers exactly as an unknown id: each
         *     API key sees only its own requests. Finished requests are forgotten after the retention period (1 hour and
         *     10,000 requests by default).
         */
        NotFound: {
            headers: {
                "x-request-id": components["headers"]["RequestId"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Request 0193a4e2 not found"
                 *     }
                 */
                "application/json": components["schemas"]["ErrorMessage"];
            };
        };
        /** @description The `Idempotency-Key` was already used with a different body. */
        IdempotencyConflict: {
            headers: {
                "x-request-id": components["headers"]["RequestId"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Idempotency-Key was already used with a different request body"
                 *     }
                 */
                "application/json": components["schemas"]["ErrorMessage"];
            };
        };
        /** @description The body is larger than the server accepts (64 KiB by default). */
        PayloadTooLarge: {
            headers: {
                "x-request-id": components["headers"]["RequestId"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Request body is larger than 65536 bytes"
                 *     }
                 */
                "application/json": components["schemas"]["ErrorMessage"];
            };
        };
        /**
         * @description The body is not `application/json` (or another `+json` type), or its `charset` is not UTF-8: bodies are read
         *     as UTF-8 only, and a `charset` other than `utf-8` (for example `utf-16`) is refused rather than misread.
         */
        UnsupportedMediaType: {
            headers: {
                "x-request-id": components["headers"]["RequestId"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Content-Type must be application/json"
                 *     }
                 */
                "application/json": components["schemas"]["ErrorMessage"];
            };
        };
        /** @description The body is JSON but a field is missing, of the wrong type or out of range. */
        ValidationError: {
            headers: {
                "x-request-id": components["headers"]["RequestId"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": [
                 *         {
                 *           "loc": [
                 *             "body",
                 *             "width"
                 *           ],
                 *           "msg": "Input should be a multiple of 8",
                 *           "type": "multiple_of",
                 *           "input": 513,
                 *           "ctx": {
                 *             "multiple_of": 8
                 *           }
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["ValidationErrorBody"];
            };
        };
        /** @description The queue is full; try again after `Retry-After` seconds. */
        QueueFull: {
            headers: {
                "x-request-id": components["headers"]["RequestId"];
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Queue is full (64 waiting); retry after 2 s"
                 *     }
                 */
                "application/json": components["schemas"]["ErrorMessage"];
            };
        };
        /** @description An unexpected server error. */
        InternalError: {
            headers: {
                "x-request-id": components["headers"]["RequestId"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Internal server error"
                 *     }
                 */
                "application/json": components["schemas"]["ErrorMessage"];
            };
        };
        /** @description The image backend failed to run the generation (a node error, out of GPU memory). */
        ExecutionFailed: {
            headers: {
                "x-request-id": components["headers"]["RequestId"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Generation failed: CUDA out of memory in node 13 (SamplerCustom)"
                 *     }
                 */
                "application/json": components["schemas"]["ErrorMessage"];
            };
        };
        /** @description The backend is starting, restarting or draining; try again after `Retry-After` seconds. */
        NotReady: {
            headers: {
                "x-request-id": components["headers"]["RequestId"];
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Server is not ready: backend is restarting"
                 *     }
                 */
                "application/json": components["schemas"]["ErrorMessage"];
            };
        };
        /** @description The generation did not finish in the server's time limit. */
        GenerationTimeout: {
            headers: {
                "x-request-id": components["headers"]["RequestId"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Generation timed out after 60000 ms"
                 *     }
                 */
                "application/json": components["schemas"]["ErrorMessage"];
            };
        };
    };
    parameters: {
        /**
         * @description Makes the request safe to retry. The same key with the same body answers with the first request's outcome
         *     and generates once (a failed or cancelled request runs again); the same key with a different body answers
         *     409. Keys are 1 to 255 printable ASCII characters (space to `~`); an empty or longer key, or one with other
         *     characters, answers 400 (HTTP strips spaces at either end of a header value). Keys belong to the API key
         *     that sent them: another API key using the same Idempotency-Key starts its own request and never learns of
         *     the first. The server remembers keys for 24 hours
         *     by default, and a bounded number of them (10,000 by default; the oldest are forgotten first).
         * @example 5f0c7a1e-3b7d-4f8a-9a0e-2d6c1b9e8f71
         */
        IdempotencyKey: string;
        /** @description The id returned by `POST /queue/generate`. */
        RequestIdPath: string;
    };
    requestBodies: never;
    headers: {
        /** @description Identifies this HTTP request in the server's logs (echoes the caller's `x-request-id` when sent). */
        RequestId: string;
        /** @description The queue request id of the generation this answer belongs to (the header fal's clients read). */
        FalRequestId: string;
        /** @description Seconds to wait before trying again. */
        RetryAfter: number;
    };
    pathItems: never;
};
export type $defs = Record<string, never>;
export interface operations {
    generate: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry. The same key with the same body answers with the first request's outcome
                 *     and generates once (a failed or cancelled request runs again); the same key with a different body answers
                 *     409. Keys are 1 to 255 printable ASCII characters (space to `~`); an empty or longer key, or one with other
                 *     characters, answers 400 (HTTP strips spaces at either end of a header value). Keys belong to the API key
                 *     that sent them: another API key using the same Idempotency-Key starts its own request and never learns of
                 *     the first. The server remembers keys for 24 hours
                 *     by default, and a bounded number of them (10,000 by default; the oldest are forgotten first).
                 * @example 5f0c7a1e-3b7d-4f8a-9a0e-2d6c1b9e8f71
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["GenerateRequest"];
            };
        };
        responses: {
            /** @description The generated image. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-fal-request-id": components["headers"]["FalRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GenerateResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            409: components["responses"]["IdempotencyConflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["QueueFull"];
            500: components["responses"]["InternalError"];
            502: components["responses"]["ExecutionFailed"];
            503: components["responses"]["NotReady"];
            504: components["responses"]["GenerationTimeout"];
        };
    };
    submitGenerate: {
        parameters: {
            query?: {
                /** @description The same as the body's `webhook_url` (fal's client sends this); giving both with different values is a 422. */
                fal_webhook?: string;
            };
            header?: {
                /**
                 * @description Makes the request safe to retry. The same key with the same body answers with the first request's outcome
                 *     and generates once (a failed or cancelled request runs again); the same key with a different body answers
                 *     409. Keys are 1 to 255 printable ASCII characters (space to `~`); an empty or longer key, or one with other
                 *     characters, answers 400 (HTTP strips spaces at either end of a header value). Keys belong to the API key
                 *     that sent them: another API key using the same Idempotency-Key starts its own request and never learns of
                 *     the first. The server remembers keys for 24 hours
                 *     by default, and a bounded number of them (10,000 by default; the oldest are forgotten first).
                 * @example 5f0c7a1e-3b7d-4f8a-9a0e-2d6c1b9e8f71
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["GenerateRequest"];
            };
        };
        responses: {
            /** @description Accepted into the queue. */
            202: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-fal-request-id": components["headers"]["FalRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueueSubmitResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            409: components["responses"]["IdempotencyConflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["QueueFull"];
            503: components["responses"]["NotReady"];
        };
    };
    getQueueStatus: {
        parameters: {
            query?: {
                /** @description Include log lines (accepted for fal compatibility; `1` or `true`). */
                logs?: string;
            };
            header?: never;
            path: {
                /** @description The id returned by `POST /queue/generate`. */
                request_id: components["parameters"]["RequestIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The current status. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueueStatus"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
        };
    };
    streamQueueStatus: {
        parameters: {
            query?: {
                logs?: string;
            };
            header?: never;
            path: {
                /** @description The id returned by `POST /queue/generate`. */
                request_id: components["parameters"]["RequestIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An event stream of `QueueStatus` objects. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "event": "status",
                     *       "data": "{\"status\":\"IN_QUEUE\",\"request_id\":\"0193a4e2\",\"queue_position\":0,\"response_url\":\"http://localhost:8787/queue/requests/0193a4e2\"}"
                     *     }
                     */
                    "text/event-stream": components["schemas"]["StatusEvent"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
        };
    };
    getQueueResult: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The id returned by `POST /queue/generate`. */
                request_id: components["parameters"]["RequestIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The generated image. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "x-fal-request-id": components["headers"]["FalRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GenerateResponse"];
                };
            };
            /** @description Not finished yet, or cancelled (or a malformed request, as in `BadRequest`). */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorMessage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalError"];
            502: components["responses"]["ExecutionFailed"];
            504: components["responses"]["GenerationTimeout"];
        };
    };
    cancelQueueRequest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The id returned by `POST /queue/generate`. */
                request_id: components["parameters"]["RequestIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Cancellation requested; the request ends cancelled. */
            202: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "CANCELLATION_REQUESTED"
                     *     }
                     */
                    "application/json": components["schemas"]["CancelResponse"];
                };
            };
            /**
             * @description The request had already finished (a `CancelResponse`), or the request is malformed as in `BadRequest`
             *     (an `ErrorMessage`).
             */
            400: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ALREADY_COMPLETED",
                     *       "detail": "Request 0193a4e2 has already completed"
                     *     }
                     */
                    "application/json": components["schemas"]["CancelResponse"] | components["schemas"]["ErrorMessage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description No request with this id. */
            404: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "NOT_FOUND",
                     *       "detail": "Request 0193a4e2 not found"
                     *     }
                     */
                    "application/json": components["schemas"]["CancelResponse"];
                };
            };
        };
    };
    getFile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The file key (`[A-Za-z0-9_-]+` with one extension). */
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The image bytes. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    /** @description `public, max-age=31536000, immutable` */
                    "Cache-Control"?: string;
                    /** @description Strong validator of the bytes. */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "image/png": string;
                    "image/jpeg": string;
                    "image/webp": string;
                };
            };
            /** @description Not modified (the `If-None-Match` matched). */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process is alive. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ok"
                     *     }
                     */
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    getReady: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The backend is warm and accepting work. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ready",
                     *       "backend": "synthetic",
                     *       "queue_depth": 0
                     *     }
                     */
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description Not ready (starting, warming up, restarting or draining). */
            503: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "starting",
                     *       "backend": "comfyui",
                     *       "queue_depth": 0
                     *     }
                     */
                    "application/json": components["schemas"]["Readiness"];
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Metrics in the Prometheus text exposition format. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example # HELP genimage_queue_depth Jobs waiting in the queue.
                     *     # TYPE genimage_queue_depth gauge
                     *     genimage_queue_depth 0
                     */
                    "text/plain": string;
                };
            };
        };
    };
    getOpenApi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI document. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            400: components["responses"]["BadRequest"];
        };
    };
    getDocs: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An HTML page rendering this description. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["RequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            400: components["responses"]["BadRequest"];
        };
    };
    generationFinished: {
        parameters: {
            query?: never;
            header: {
                /** @description The delivery's id, the same on every retry. */
                "webhook-id": string;
                /** @description Unix seconds when this attempt was signed. */
                "webhook-timestamp": string;
                /** @description One or more space-separated `v1,<base64>` signatures. */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookPayload"];
            };
        };
        responses: {
            /** @description Any 2xx acknowledges the delivery. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
