package decisionlog

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/dood-guard/dood-guard/plugin/logfields"
)

// appendLine appends r as logrus's JSONFormatter (default settings) writes
// it: encoding/json's encoding of a map, so the keys come sorted, strings
// are escaped with HTML escaping on, and the line ends with a newline.
// Logrus adds level, msg and time to the fields; rule_ids is only there on
// denials, null when a denial has no IDs (a nil slice), as encoding/json
// writes it; enforcement and would_deny only when set. The keys are written
// in sorted order: enforcement after endpoint, would_deny last.
func appendLine(b []byte, r Record, t time.Time) []byte {
	b = append(b, `{"`+logfields.APIVersion+`":`...)
	b = appendString(b, r.APIVersion)
	b = append(b, `,"`+logfields.AuthMethod+`":`...)
	b = appendString(b, r.AuthMethod)
	if r.Denied {
		b = append(b, `,"`+logfields.Decision+`":"`+logfields.Deny+`"`...)
	} else {
		b = append(b, `,"`+logfields.Decision+`":"`+logfields.Allow+`"`...)
	}
	b = append(b, `,"`+logfields.Endpoint+`":`...)
	b = appendString(b, r.Endpoint)
	if r.Enforcement != "" {
		b = append(b, `,"`+logfields.Enforcement+`":`...)
		b = appendString(b, r.Enforcement)
	}
	b = append(b, `,"`+logfields.EvalMicros+`":`...)
	b = strconv.AppendInt(b, r.EvalMicros, 10)
	// logrus.WarnLevel.String() is "warning", not "warn".
	if r.Denied {
		b = append(b, `,"level":"warning"`...)
	} else {
		b = append(b, `,"level":"info"`...)
	}
	b = append(b, `,"`+logfields.Method+`":`...)
	b = appendString(b, r.Method)
	if r.Denied {
		b = append(b, `,"msg":"`+msgDenied+`"`...)
	} else {
		b = append(b, `,"msg":"`+msgAllowed+`"`...)
	}
	b = append(b, `,"`+logfields.Path+`":`...)
	b = appendString(b, r.Path)
	b = append(b, `,"`+logfields.Phase+`":`...)
	b = appendString(b, r.Phase)
	if r.Denied {
		b = append(b, `,"`+logfields.RuleIDs+`":`...)
		b = appendStrings(b, r.RuleIDs)
	}
	// RFC 3339 (logrus's default) formats to digits, '-', ':', '+', 'T'
	// and 'Z' only: nothing to escape. Logrus formats the time as it has
	// it, time.Now()'s local time, without converting.
	b = append(b, `,"time":"`...)
	b = t.AppendFormat(b, time.RFC3339)
	b = append(b, `","`+logfields.User+`":`...)
	b = appendString(b, r.User)
	if len(r.WouldDeny) > 0 {
		b = append(b, `,"`+logfields.WouldDeny+`":`...)
		b = appendStrings(b, r.WouldDeny)
	}
	return append(b, "}\n"...)
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// plain holds the ASCII bytes encoding/json copies unescaped when it
// escapes HTML: not control characters, not '"' or '\\', not '<', '>' or
// '&' (which could end a script element in a page showing the log).
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s quoted as encoding/json quotes it (HTML escaping
// on): the short escapes for '"', '\\', \b, \f, \n, \r and \t, \u00xx for
// the other escaped ASCII bytes, \ufffd for each byte that is not valid
// UTF-8, and \u2028 and \u2029, which JavaScript would take for line ends.
// Everything else is copied as it is.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[done:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == utf8.RuneError && n == 1:
			esc = `\ufffd`
		case r == '\u2028':
			esc = `\u2028`
		case r == '\u2029':
			esc = `\u2029`
		default:
			i += n
			continue
		}
		b = append(b, s[done:i]...)
		b = append(b, esc...)
		i += n
		done = i
	}
	b = append(b, s[done:]...)
	return append(b, '"')
}
