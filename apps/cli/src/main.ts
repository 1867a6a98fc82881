#!/usr/bin/env node
import { packageName } from "./index.js";

console.log(`${packageName}: demo coming`);
