package app

// CompensationError reports that undoing an earlier step of a saga failed:
// stock stays held or money stays taken, and an operator has to look. It is
// joined after the error that caused the compensation, which still decides
// what the client is told.
type CompensationError struct {
	Step string
	Err  error
}

func (e *CompensationError) Error() string {
	return "compensation failed: " + e.Step + ": " + e.Err.Error()
}

func (e *CompensationError) Unwrap() error { return e.Err }
