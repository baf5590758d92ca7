package notation

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/notaryproject/notation-go/log"
)

// withLogger hands l to notation-go, which reads its logger from the
// context; nil leaves notation-go's default, which discards.
func withLogger(ctx context.Context, l *slog.Logger) context.Context {
	if l == nil {
		return ctx
	}
	return log.WithLogger(ctx, slogLogger{l: l})
}

// slogLogger adapts a *slog.Logger to notation-go's logger interface.
// notation-go's interface takes no context, so records carry none.
//
// Each record goes one level down: notation-go warns of what vouch
// reports itself (a failed check, a check a level only logs, a
// certificate without a revocation method), and a verdict's reasons
// belong in the report, not twice on stderr. Its warnings and errors
// show at info level, the rest at debug.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) log(lv slog.Level, msg string) { s.l.Log(context.Background(), lv, msg) }

func (s slogLogger) Debug(a ...any)            { s.log(slog.LevelDebug, fmt.Sprint(a...)) }
func (s slogLogger) Debugf(f string, a ...any) { s.log(slog.LevelDebug, fmt.Sprintf(f, a...)) }
func (s slogLogger) Debugln(a ...any)          { s.log(slog.LevelDebug, sprintln(a...)) }
func (s slogLogger) Info(a ...any)             { s.log(slog.LevelDebug, fmt.Sprint(a...)) }
func (s slogLogger) Infof(f string, a ...any)  { s.log(slog.LevelDebug, fmt.Sprintf(f, a...)) }
func (s slogLogger) Infoln(a ...any)           { s.log(slog.LevelDebug, sprintln(a...)) }
func (s slogLogger) Warn(a ...any)             { s.log(slog.LevelInfo, fmt.Sprint(a...)) }
func (s slogLogger) Warnf(f string, a ...any)  { s.log(slog.LevelInfo, fmt.Sprintf(f, a...)) }
func (s slogLogger) Warnln(a ...any)           { s.log(slog.LevelInfo, sprintln(a...)) }
func (s slogLogger) Error(a ...any)            { s.log(slog.LevelInfo, fmt.Sprint(a...)) }
func (s slogLogger) Errorf(f string, a ...any) { s.log(slog.LevelInfo, fmt.Sprintf(f, a...)) }
func (s slogLogger) Errorln(a ...any)          { s.log(slog.LevelInfo, sprintln(a...)) }

func sprintln(a ...any) string {
	s := fmt.Sprintln(a...)
	return s[:len(s)-1]
}
