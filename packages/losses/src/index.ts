export { softmaxLoss } from './softmax';
export { svmLoss } from './svm';
