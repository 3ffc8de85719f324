// Every error a backprop package throws on bad input is a BackpropError: it names the function,
// the argument, what was expected and what came, e.g.
//   affineForward: w has shape [5,3], expected [120, M] to match x's 120 features
// Subclasses say what kind of mistake it was, so callers can catch by class.

/** Base class of every error thrown for bad input. `fn` and `arg` name the place. */
export class BackpropError extends Error {
  override name = 'BackpropError';
  constructor(
    /** The public function that rejected its input, e.g. `affineForward`. */
    readonly fn: string,
    /** The argument (or option path) at fault, e.g. `w` or `convParam.stride`. */
    readonly arg: string,
    /** What was expected and what came. */
    readonly detail: string,
  ) {
    super(`${fn}: ${arg} ${detail}`);
  }
}

/** A tensor has the wrong rank or shape. */
export class ShapeError extends BackpropError {
  override name = 'ShapeError';
}

/** A tensor has the wrong dtype, or two tensors that must agree do not. */
export class DTypeError extends BackpropError {
  override name = 'DTypeError';
}

/** A number, label, option or hyperparameter is out of its valid range or of the wrong kind. */
export class ValueError extends BackpropError {
  override name = 'ValueError';
}

/** A file (checkpoint, dataset) is truncated, malformed or of another format. */
export class FormatError extends BackpropError {
  override name = 'FormatError';
}
