export { type Nested, type NestedClasses, nest, predictClasses } from './classes.js';
export {
  FIELDS,
  formatNumber,
  formatPrediction,
  nonFiniteRecords,
  outsideUnitInterval,
  recordValues,
} from './output.js';
export { type InputRecords, readInputFile, shapeRecords } from './records.js';
export { type NumericArray, parseValues } from './values-parser.js';
