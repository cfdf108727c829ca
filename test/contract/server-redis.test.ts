import { redisTopologyTarget } from './server-redis-target.js'
import { defineContractSuite } from './suite.js'

defineContractSuite(redisTopologyTarget('2 API nodes + 2 workers on Redis (built server, synthetic backend)'))
