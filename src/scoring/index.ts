export { type Nested, type NestedClasses, nest, predictClasses } from './classes.js';
export { type CsvSplit, type CsvSplitPoint, csvSplitPoints } from './formats/csv-part.js';
export { type LineSplitPoint, lineSplitPoints } from './formats/lines.js';
export {
  FIELDS,
  formatNumber,
  formatPrediction,
  nonFiniteRecords,
  outsideUnitInterval,
  predictionChunks,
  recordValues,
} from './output.js';
export {
  concatRecords,
  type InputRecords,
  readInputFile,
  recycleRecords,
  shapeRecords,
} from './records.js';
export { type NumericArray, parseValues, type StringArray, type ValuesArray } from './values-parser.js';
