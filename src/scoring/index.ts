export { type Nested, nest, predictClasses } from './classes.js';
export { FIELDS, formatNumber, formatPrediction, outsideUnitInterval, recordValues } from './output.js';
export { type InputRecords, readInputFile, shapeRecords } from './records.js';
export { type NumericArray, parseValues } from './values-parser.js';
