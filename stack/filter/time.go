package filter

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"relaybase/value"
)

// Timestamps are int64 milliseconds since the epoch (UTC). Time filters accept a timestamp
// as an int, as text holding one ("1692132330000"), as ISO 8601 text ("2023-08-15",
// "2023-08-15T20:45:30Z", "2023-08-15 13:45:30" read in the timezone argument, default UTC),
// or as a relative expression from now ("now", "tomorrow", "+1 hour", "next friday").
// They return timestamps as ints, also where Xano's docs show them as text. Null passes
// through as null: an unset date stays unset rather than becoming 1970.
func init() {
	def("to_timestamp", 0, 1, toTimestamp("to_timestamp"), "to_epochms")
	def("to_ms", 0, 1, toTimestamp("to_ms"), "to_epoch_ms")
	def("to_seconds", 0, 1, toSeconds, "to_epoch_sec")
	def("format_timestamp", 1, 2, formatTimestamp, "epochms_date")
	def("parse_timestamp", 1, 2, parseTimestamp, "epochms_from_format")
	def("transform_timestamp", 1, 2, transformTimestamp, "epochms_transform")
	def("add_secs_to_timestamp", 1, 1, addToTimestamp("add_secs_to_timestamp", 1000), "epochms_add_secs")
	def("add_ms_to_timestamp", 1, 1, addToTimestamp("add_ms_to_timestamp", 1), "epochms_add_ms")
}

// clock gives "now". Filters have no per-call context, so it is the process clock; the
// tests pin times by passing explicit timestamps instead of replacing it.
var clock = time.Now

var locations sync.Map // timezone name → *time.Location

// location resolves a timezone argument: an IANA name ("America/Los_Angeles"), "UTC", or a
// fixed offset ("+02:00", "-0500"). Absent or null means UTC.
func location(name string, args []any, i int) (*time.Location, error) {
	tz, err := textArg(name, "timezone", args, i, "UTC")
	if err != nil {
		return nil, err
	}
	if tz == "" || strings.EqualFold(tz, "UTC") || strings.EqualFold(tz, "Z") {
		return time.UTC, nil
	}
	if l, ok := locations.Load(tz); ok {
		return l.(*time.Location), nil
	}
	loc, err := fixedZone(tz)
	if err != nil {
		if loc, err = time.LoadLocation(tz); err != nil {
			return nil, fmt.Errorf("%s: unknown timezone %q", name, tz)
		}
	}
	locations.Store(tz, loc)
	return loc, nil
}

var offsetRe = regexp.MustCompile(`^([+-])(\d{2}):?(\d{2})$`)

func fixedZone(tz string) (*time.Location, error) {
	m := offsetRe.FindStringSubmatch(tz)
	if m == nil {
		return nil, fmt.Errorf("not an offset")
	}
	h, _ := strconv.Atoi(m[2])
	mi, _ := strconv.Atoi(m[3])
	secs := h*3600 + mi*60
	if m[1] == "-" {
		secs = -secs
	}
	return time.FixedZone(tz, secs), nil
}

// timeIn reads a timestamp input; isNull reports a null input, which filters pass through.
func timeIn(name string, x any, loc *time.Location) (t time.Time, isNull bool, err error) {
	switch v := x.(type) {
	case nil:
		return time.Time{}, true, nil
	case int64:
		return time.UnixMilli(v).In(loc), false, nil
	case float64:
		if math.IsNaN(v) || v < -(1<<63) || v >= 1<<63 {
			return time.Time{}, false, fmt.Errorf("%s: %s is not a timestamp", name, value.FormatFloat(v))
		}
		return time.UnixMilli(int64(v)).In(loc), false, nil
	case string:
		t, err := parseTime(v, loc)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("%s: %w", name, err)
		}
		return t, false, nil
	}
	return time.Time{}, false, typeError(name, "a timestamp", x)
}

// Layouts tried for text, most specific first. Those with a zone keep it; the rest are read
// in the timezone argument. Go accepts fractional seconds after the seconds field.
var (
	zonedLayouts = []string{
		"2006-01-02T15:04:05Z07:00",
		"2006-01-02 15:04:05Z07:00",
		"2006-01-02T15:04:05Z0700",
		"2006-01-02 15:04:05 Z07:00",
		"2006-01-02 15:04:05 -0700",
		time.RFC1123Z,
		time.RFC1123,
		time.RFC850,
	}
	localLayouts = []string{
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05",
		"2006-01-02T15:04",
		"2006-01-02 15:04",
		"2006-01-02",
		"2006/01/02 15:04:05",
		"2006/01/02",
		"Jan 2 2006",
		"Jan 2, 2006",
		"January 2 2006",
		"January 2, 2006",
		"2 Jan 2006",
		"2 January 2006",
		"Jan 2 2006 15:04:05",
		"Jan 2, 2006 15:04:05",
	}
)

var digitsRe = regexp.MustCompile(`^-?\d+$`)

// parseTime reads timestamp text: digits as milliseconds, a date or date-time, or a relative
// expression from now.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty text is not a timestamp")
	}
	if digitsRe.MatchString(s) {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is out of range", s)
		}
		return time.UnixMilli(ms).In(loc), nil
	}
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.In(loc), nil
		}
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	t, err := relative(clock().In(loc), s)
	if err != nil {
		return time.Time{}, fmt.Errorf("cannot read %q as a date or time", s)
	}
	return t, nil
}

func toTimestamp(name string) impl {
	return func(x any, args []any) (any, error) {
		loc, err := location(name, args, 0)
		if err != nil {
			return nil, err
		}
		t, isNull, err := timeIn(name, x, loc)
		if err != nil || isNull {
			return nil, err
		}
		return t.UnixMilli(), nil
	}
}

// toSeconds is seconds since the epoch, rounded down.
func toSeconds(x any, args []any) (any, error) {
	ms, err := toTimestamp("to_seconds")(x, args)
	if err != nil || ms == nil {
		return nil, err
	}
	return int64(math.Floor(float64(ms.(int64)) / 1000)), nil
}

// addToTimestamp adds a number of seconds or milliseconds (negative is fine).
func addToTimestamp(name string, unitMS float64) impl {
	return func(x any, args []any) (any, error) {
		t, isNull, err := timeIn(name, x, time.UTC)
		if err != nil || isNull {
			return nil, err
		}
		n, err := numberArg(name, "the amount", args, 0)
		if err != nil {
			return nil, err
		}
		if ms, ok := n.(int64); ok && unitMS == 1 {
			return t.UnixMilli() + ms, nil
		}
		f, _ := value.AsFloat(n)
		return t.UnixMilli() + int64(math.Round(f*unitMS)), nil
	}
}

func transformTimestamp(x any, args []any) (any, error) {
	loc, err := location("transform_timestamp", args, 1)
	if err != nil {
		return nil, err
	}
	t, isNull, err := timeIn("transform_timestamp", x, loc)
	if err != nil || isNull {
		return nil, err
	}
	expr, err := textArg("transform_timestamp", "transformation", args, 0, "")
	if err != nil {
		return nil, err
	}
	r, err := relative(t, expr)
	if err != nil {
		return nil, fmt.Errorf("transform_timestamp: %w", err)
	}
	return r.UnixMilli(), nil
}

var (
	numberUnitRe = regexp.MustCompile(`^([+-]?\d+)([a-z]*)$`)
	clockRe      = regexp.MustCompile(`^(\d{1,2}):(\d{2})(?::(\d{2}))?(am|pm)?$`)
)

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "sun": time.Sunday, "monday": time.Monday, "mon": time.Monday,
	"tuesday": time.Tuesday, "tue": time.Tuesday, "tues": time.Tuesday,
	"wednesday": time.Wednesday, "wed": time.Wednesday, "thursday": time.Thursday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday,
	"friday": time.Friday, "fri": time.Friday, "saturday": time.Saturday, "sat": time.Saturday,
}

// offset is a relative change: calendar parts applied together (so "+1 month" from Jan 31
// normalises as PHP does, to early March) and an exact duration.
type offset struct {
	years, months, days int
	dur                 time.Duration
}

// addUnit adds n of a unit to the offset; ok is false for a word that is not a unit.
func (o *offset) addUnit(unit string, n int) bool {
	switch unit {
	case "ms", "msec", "msecs", "millisecond", "milliseconds":
		o.dur += time.Duration(n) * time.Millisecond
	case "sec", "secs", "second", "seconds":
		o.dur += time.Duration(n) * time.Second
	case "min", "mins", "minute", "minutes":
		o.dur += time.Duration(n) * time.Minute
	case "hour", "hours":
		o.dur += time.Duration(n) * time.Hour
	case "day", "days":
		o.days += n
	case "week", "weeks":
		o.days += 7 * n
	case "fortnight", "fortnights":
		o.days += 14 * n
	case "month", "months":
		o.months += n
	case "year", "years":
		o.years += n
	default:
		return false
	}
	return true
}

// relative applies a PHP strtotime-style expression to t, in t's location. It understands
// now, today, midnight, noon, tomorrow, yesterday, "[+-]N unit" (ms, sec, min, hour, day,
// week, fortnight, month, year; plurals and "N unit ago"), next/last/this <unit or weekday>,
// a bare weekday, "first day of" / "last day of" (the month after any month offset), and a
// time of day "14:30[:00]" with optional am/pm. Words combine: "tomorrow noon", "-1 week 2 days".
func relative(t time.Time, expr string) (time.Time, error) {
	words := strings.Fields(strings.ToLower(strings.ReplaceAll(expr, ",", " ")))
	var (
		off         offset
		dayEdge     string // "first" or "last" (day of the month)
		weekday     = time.Weekday(-1)
		weekdayMode string // "this", "next" or "last"
		clockSet    bool
	)
	setClock := func(h, m, s int) {
		t = time.Date(t.Year(), t.Month(), t.Day(), h, m, s, 0, t.Location())
		clockSet = true
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		next := func(k int) string {
			if i+k < len(words) {
				return words[i+k]
			}
			return ""
		}
		switch {
		case w == "now":
		case w == "today" || w == "midnight":
			setClock(0, 0, 0)
		case w == "noon":
			setClock(12, 0, 0)
		case w == "tomorrow":
			setClock(0, 0, 0)
			off.days++
		case w == "yesterday":
			setClock(0, 0, 0)
			off.days--
		case (w == "first" || w == "last") && next(1) == "day" && next(2) == "of":
			dayEdge = w
			i += 2
		case w == "next" || w == "last" || w == "previous" || w == "this":
			n := map[string]int{"next": 1, "last": -1, "previous": -1, "this": 0}[w]
			target := next(1)
			if wd, ok := weekdays[target]; ok {
				weekday, weekdayMode = wd, map[int]string{1: "next", -1: "last", 0: "this"}[n]
			} else if !off.addUnit(target, n) {
				return t, fmt.Errorf("cannot read %q in %q", strings.TrimSpace(w+" "+target), expr)
			}
			i++
		default:
			if wd, ok := weekdays[w]; ok {
				weekday, weekdayMode = wd, "this"
				continue
			}
			if m := clockRe.FindStringSubmatch(w); m != nil {
				h, _ := strconv.Atoi(m[1])
				mi, _ := strconv.Atoi(m[2])
				s, _ := strconv.Atoi(m[3])
				switch {
				case m[4] == "pm" && h < 12:
					h += 12
				case m[4] == "am" && h == 12:
					h = 0
				}
				if h > 23 || mi > 59 || s > 59 {
					return t, fmt.Errorf("%q is not a time of day", w)
				}
				setClock(h, mi, s)
				continue
			}
			m := numberUnitRe.FindStringSubmatch(w)
			if m == nil {
				return t, fmt.Errorf("cannot read %q in %q", w, expr)
			}
			n, err := strconv.Atoi(m[1])
			if err != nil || n > 1_000_000 || n < -1_000_000 {
				return t, fmt.Errorf("%q is too large", m[1])
			}
			unit := m[2]
			if unit == "" {
				unit = next(1)
				i++
			}
			if next(1) == "ago" {
				n = -n
				i++
			}
			if !off.addUnit(unit, n) {
				return t, fmt.Errorf("%q is not a unit of time in %q", unit, expr)
			}
		}
	}
	if dayEdge != "" {
		t = time.Date(t.Year(), t.Month(), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
		t = t.AddDate(off.years, off.months, 0)
		if dayEdge == "last" {
			t = t.AddDate(0, 1, -1)
		}
		t = t.AddDate(0, 0, off.days)
	} else {
		t = t.AddDate(off.years, off.months, off.days)
	}
	t = t.Add(off.dur)
	if weekday >= 0 {
		diff := (int(weekday) - int(t.Weekday()) + 7) % 7
		switch weekdayMode {
		case "next":
			if diff == 0 {
				diff = 7
			}
		case "last":
			diff -= 7
		}
		t = t.AddDate(0, 0, diff)
		if !clockSet {
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
		}
	}
	return t, nil
}

// formatTimestamp writes a timestamp with PHP's date() letters, in the timezone argument
// (default UTC): 1692132330000|format_timestamp:"Y-m-d H:i:s":"America/New_York" is
// "2023-08-15 16:45:30". A backslash makes the next letter literal; other characters are copied.
func formatTimestamp(x any, args []any) (any, error) {
	loc, err := location("format_timestamp", args, 1)
	if err != nil {
		return nil, err
	}
	t, isNull, err := timeIn("format_timestamp", x, loc)
	if err != nil || isNull {
		return nil, err
	}
	format, err := textArg("format_timestamp", "format", args, 0, "")
	if err != nil {
		return nil, err
	}
	return phpDate(t, format), nil
}

func phpDate(t time.Time, format string) string {
	var b strings.Builder
	pad := func(n, width int) { fmt.Fprintf(&b, "%0*d", width, n) }
	escaped := false
	for _, c := range format {
		if escaped {
			b.WriteRune(c)
			escaped = false
			continue
		}
		switch c {
		case '\\':
			escaped = true
		case 'd':
			pad(t.Day(), 2)
		case 'D':
			b.WriteString(t.Weekday().String()[:3])
		case 'j':
			pad(t.Day(), 1)
		case 'l':
			b.WriteString(t.Weekday().String())
		case 'N':
			pad((int(t.Weekday())+6)%7+1, 1)
		case 'S':
			b.WriteString(ordinalSuffix(t.Day()))
		case 'w':
			pad(int(t.Weekday()), 1)
		case 'z':
			pad(t.YearDay()-1, 1)
		case 'W':
			_, w := t.ISOWeek()
			pad(w, 2)
		case 'F':
			b.WriteString(t.Month().String())
		case 'm':
			pad(int(t.Month()), 2)
		case 'M':
			b.WriteString(t.Month().String()[:3])
		case 'n':
			pad(int(t.Month()), 1)
		case 't':
			pad(time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day(), 1)
		case 'L':
			if y := t.Year(); y%4 == 0 && (y%100 != 0 || y%400 == 0) {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		case 'o':
			y, _ := t.ISOWeek()
			pad(y, 4)
		case 'Y':
			pad(t.Year(), 4)
		case 'y':
			pad(t.Year()%100, 2)
		case 'a':
			b.WriteString(strings.ToLower(t.Format("PM")))
		case 'A':
			b.WriteString(t.Format("PM"))
		case 'B':
			u := t.UTC()
			// Swatch beats: thousandths of a day in UTC+1.
			pad((u.Hour()*3600+u.Minute()*60+u.Second()+3600)%86400*1000/86400, 3)
		case 'g':
			pad((t.Hour()+11)%12+1, 1)
		case 'G':
			pad(t.Hour(), 1)
		case 'h':
			pad((t.Hour()+11)%12+1, 2)
		case 'H':
			pad(t.Hour(), 2)
		case 'i':
			pad(t.Minute(), 2)
		case 's':
			pad(t.Second(), 2)
		case 'u':
			pad(t.Nanosecond()/1000, 6)
		case 'v':
			pad(t.Nanosecond()/1_000_000, 3)
		case 'e':
			b.WriteString(t.Location().String())
		case 'I':
			if t.IsDST() {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		case 'O':
			b.WriteString(t.Format("-0700"))
		case 'P':
			b.WriteString(t.Format("-07:00"))
		case 'p':
			if _, off := t.Zone(); off == 0 {
				b.WriteByte('Z')
			} else {
				b.WriteString(t.Format("-07:00"))
			}
		case 'T':
			name, _ := t.Zone()
			b.WriteString(name)
		case 'Z':
			_, off := t.Zone()
			pad(off, 1)
		case 'c':
			b.WriteString(phpDate(t, `Y-m-d\TH:i:sP`))
		case 'r':
			b.WriteString(phpDate(t, "D, d M Y H:i:s O"))
		case 'U':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func ordinalSuffix(day int) string {
	if day%100 >= 11 && day%100 <= 13 {
		return "th"
	}
	switch day % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

// phpLayout maps PHP date letters to Go layout pieces for parse_timestamp.
var phpLayout = map[rune]string{
	'd': "02", 'j': "2", 'm': "01", 'n': "1", 'Y': "2006", 'y': "06", 'H': "15", 'G': "15",
	'h': "03", 'g': "3", 'i': "04", 's': "05", 'A': "PM", 'a': "pm", 'M': "Jan", 'F': "January",
	'D': "Mon", 'l': "Monday", 'O': "-0700", 'P': "-07:00", 'T': "MST", 'v': "000", 'u': "000000",
}

// parseTimestamp reads text in a PHP date format, in the timezone argument (default UTC):
// "2023-08-15 13:45:30"|parse_timestamp:"Y-m-d H:i:s":"America/Los_Angeles" is 1692132330000.
func parseTimestamp(x any, args []any) (any, error) {
	if x == nil {
		return nil, nil
	}
	s, err := textIn("parse_timestamp", x)
	if err != nil {
		return nil, err
	}
	format, err := textArg("parse_timestamp", "format", args, 0, "")
	if err != nil {
		return nil, err
	}
	loc, err := location("parse_timestamp", args, 1)
	if err != nil {
		return nil, err
	}
	var layout strings.Builder
	escaped := false
	for _, c := range format {
		if piece, ok := phpLayout[c]; ok && !escaped {
			layout.WriteString(piece)
			continue
		}
		if c == '\\' && !escaped {
			escaped = true
			continue
		}
		escaped = false
		layout.WriteRune(c)
	}
	t, err := time.ParseInLocation(layout.String(), s, loc)
	if err != nil {
		return nil, fmt.Errorf("parse_timestamp: %q does not match the format %q", s, format)
	}
	return t.UnixMilli(), nil
}
