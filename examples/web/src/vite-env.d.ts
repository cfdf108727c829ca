/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** A real genimage server for the page to call (`http://localhost:8787`); unset: the in-browser mocks. */
  readonly VITE_GENIMAGE_URL?: string
}
