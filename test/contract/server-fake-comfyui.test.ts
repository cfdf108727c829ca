import { serverTarget } from './server-target.js'
import { defineContractSuite } from './suite.js'

defineContractSuite(serverTarget('genimage server supervising the fake ComfyUI (child process)', 'fake-comfyui'))
