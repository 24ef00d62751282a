import * as sdk from '../src/index.js'
import { describeClient } from './cases.js'

// The client's sources, against the real server.
describeClient('sources', sdk)
