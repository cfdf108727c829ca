// @vitest-environment jsdom
import { describeClientWithMocks } from './fixtures/dom-suite.js'

describeClientWithMocks('jsdom')
