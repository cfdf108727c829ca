import { serverTarget } from './server-target.js'
import { defineContractSuite } from './suite.js'

defineContractSuite(serverTarget('genimage server with the synthetic backend', 'synthetic'))
