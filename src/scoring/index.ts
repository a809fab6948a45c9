export { predictClasses, nest, type Nested } from './classes.js';
export { FIELDS, formatNumber, formatPrediction, outsideUnitInterval, recordValues } from './output.js';
export { readInputFile, shapeRecords, type InputRecords } from './records.js';
export { parseValues, type NumericArray } from './values-parser.js';
