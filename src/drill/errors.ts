export { DrillRefusedError } from '../domain/errors.js';
