export { scoreRisk } from './score-risk';
export { pathClassifier, type PathClassifier } from './path-rules';
export { SIGNAL_LABELS } from './reasons';
