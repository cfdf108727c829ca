// @vitest-environment happy-dom
import { describeClientWithMocks } from './fixtures/dom-suite.js'

describeClientWithMocks('happy-dom')
