package filter

import (
	"testing"
	"time"
)

const (
	base     = int64(1692132330000) // 2023-08-15T20:45:30Z, a Tuesday
	hourMS   = int64(3600_000)
	dayMS    = 24 * hourMS
	jan31    = int64(1675123200000) // 2023-01-31T00:00:00Z
	jan31_10 = int64(1675159200000) // 2023-01-31T10:00:00Z
)

func TestTransformTimestamp(t *testing.T) {
	tr := func(name string, in any, expr string, want any, tz ...any) tcase {
		return tcase{name: name, filter: "transform_timestamp", in: in, args: append([]any{expr}, tz...), want: want}
	}
	runCases(t, []tcase{
		tr("plus hour", base, "+1 hour", base+hourMS),
		tr("minus days", base, "-7 days", base-7*dayMS),
		tr("ago", base, "3 days ago", base-3*dayMS),
		tr("unit without space", base, "+90min", base+90*60_000),
		tr("combined", base, "+1 week 2 days", base+9*dayMS),
		tr("seconds and ms", base, "+1 sec -500 ms", base+500),
		tr("month overflows like PHP", jan31, "+1 month", int64(1677801600000)),
		tr("first day of next month", jan31_10, "first day of next month", int64(1675245600000)),
		tr("last day of next month", jan31, "last day of next month", int64(1677542400000)),
		tr("last day of leap February", int64(1707523200000), "last day of this month", int64(1709164800000)),
		tr("tomorrow", base, "tomorrow", int64(1692144000000)),
		tr("yesterday noon", base, "yesterday noon", int64(1692014400000)),
		tr("midnight", base, "midnight", int64(1692057600000)),
		tr("next monday", base, "next monday", int64(1692576000000)),
		tr("last monday", base, "last monday", int64(1691971200000)),
		tr("weekday that is today", base, "tuesday", int64(1692057600000)),
		tr("next of today's weekday", base, "next tuesday", int64(1692662400000)),
		tr("last of today's weekday", base, "Last Tuesday", int64(1691452800000)),
		tr("weekday and time", base, "friday 14:30", int64(1692369000000)),
		tr("next year", base, "next year", int64(1723754730000)),
		tr("pm time", base, "10:00pm", int64(1692136800000)),
		tr("now", base, "now", base),
		tr("timezone", base, "midnight", int64(1692082800000), "America/Los_Angeles"),
		tr("days follow the wall clock across DST", int64(1678554000000), "+1 day", int64(1678636800000), "America/New_York"),
		tr("hours are exact across DST", int64(1678554000000), "+24 hours", int64(1678554000000)+24*hourMS, "America/New_York"),
		tr("text input", "2023-08-15T20:45:30.000Z", "+1 day", base+dayMS),
		tr("null", nil, "+1 day", nil),
		{name: "unknown unit", filter: "transform_timestamp", in: base, args: []any{"+1 parsec"}, err: `transform_timestamp: "parsec" is not a unit of time in "+1 parsec"`},
		{name: "unknown word", filter: "transform_timestamp", in: base, args: []any{"banana"}, err: `transform_timestamp: cannot read "banana" in "banana"`},
		{name: "bad time", filter: "transform_timestamp", in: base, args: []any{"25:00"}, err: `"25:00" is not a time of day`},
		{name: "number without unit", filter: "transform_timestamp", in: base, args: []any{"+3"}, err: `"" is not a unit of time`},
		{name: "bad timezone", filter: "transform_timestamp", in: base, args: []any{"+1 day", "Mars/Olympus"}, err: `transform_timestamp: unknown timezone "Mars/Olympus"`},
		{name: "array input", filter: "transform_timestamp", in: []any{}, args: []any{"+1 day"}, err: "transform_timestamp: expected a timestamp, got array"},
	})
}

func TestToTimestamp(t *testing.T) {
	runCases(t, []tcase{
		{name: "date", filter: "to_timestamp", in: "2023-08-15", want: int64(1692057600000)},
		{name: "date in timezone", filter: "to_timestamp", in: "2023-08-15", args: []any{"America/New_York"}, want: int64(1692072000000)},
		{name: "local date-time in timezone", filter: "to_timestamp", in: "2023-08-15 13:45:30", args: []any{"America/Los_Angeles"}, want: base},
		{name: "offset wins over timezone", filter: "to_timestamp", in: "2023-08-15T13:45:30-07:00", args: []any{"Asia/Tokyo"}, want: base},
		{name: "fraction", filter: "to_timestamp", in: "2023-08-15T20:45:30.250Z", want: base + 250},
		{name: "fixed offset timezone", filter: "to_timestamp", in: "2023-08-15 00:00:00", args: []any{"+02:00"}, want: int64(1692050400000)},
		{name: "month name", filter: "to_timestamp", in: "Aug 15, 2023", want: int64(1692057600000)},
		{name: "ms as text", filter: "to_timestamp", in: "1692132330000", want: base},
		{name: "int", filter: "to_epochms", in: base, want: base},
		{name: "integral decimal", filter: "to_timestamp", in: 1.5e12, want: int64(1.5e12)},
		{name: "null", filter: "to_timestamp", in: nil, want: nil},
		{name: "gibberish", filter: "to_timestamp", in: "the day after", err: `to_timestamp: cannot read "the day after" as a date or time`},
		{name: "empty", filter: "to_timestamp", in: "  ", err: "to_timestamp: empty text is not a timestamp"},
		{name: "bool", filter: "to_timestamp", in: true, err: "to_timestamp: expected a timestamp, got bool"},
		{name: "ms", filter: "to_ms", in: "1970-01-01T00:00:01Z", want: int64(1000)},
		{name: "seconds", filter: "to_seconds", in: base + 999, want: base / 1000},
		{name: "seconds round down before 1970", filter: "to_seconds", in: int64(-1500), want: int64(-2)},
		{name: "null", filter: "to_seconds", in: nil, want: nil},
	})
}

func TestNow(t *testing.T) {
	for _, name := range []string{"to_timestamp", "to_ms", "to_seconds"} {
		before := time.Now()
		got, err := mustLookup(t, name).Fn("now", nil)
		after := time.Now()
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := before.UnixMilli(), after.UnixMilli()
		if name == "to_seconds" {
			lo, hi = before.Unix(), after.Unix()
		}
		if n := got.(int64); n < lo || n > hi {
			t.Errorf("%s of now = %d, want between %d and %d", name, n, lo, hi)
		}
	}
	got, err := mustLookup(t, "to_timestamp").Fn("tomorrow", []any{"Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	tomorrow := time.UnixMilli(got.(int64)).In(mustLocation(t, "Asia/Tokyo"))
	if h, m, s := tomorrow.Clock(); h != 0 || m != 0 || s != 0 || time.Until(tomorrow) > 24*time.Hour || tomorrow.Before(time.Now()) {
		t.Errorf("tomorrow in Tokyo = %v", tomorrow)
	}
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestFormatTimestamp(t *testing.T) {
	f := func(name string, in any, format string, want any, tz ...any) tcase {
		return tcase{name: name, filter: "format_timestamp", in: in, args: append([]any{format}, tz...), want: want}
	}
	ms := base + 123
	runCases(t, []tcase{
		f("date and time", ms, "D, d M Y H:i:s", "Tue, 15 Aug 2023 20:45:30"),
		f("words", ms, "l jS F y, g:i a", "Tuesday 15th August 23, 8:45 pm"),
		f("numbers", ms, "N w z t L W o", "2 2 226 31 0 33 2023"),
		f("fractions", ms, "v u", "123 123000"),
		f("ISO 8601", ms, "c", "2023-08-15T20:45:30+00:00"),
		f("RFC 2822", ms, "r", "Tue, 15 Aug 2023 20:45:30 +0000"),
		f("unix seconds", ms, "U", "1692132330"),
		f("escapes", ms, `\Y\-m \\`, `Y-08 \`),
		f("zone letters", ms, "e T P O Z I", "America/New_York EDT -04:00 -0400 -14400 1", "America/New_York"),
		f("Z for UTC", ms, "p", "Z"),
		f("hours", ms, "h G A H", "08 20 PM 20"),
		f("swatch", ms, "B", "906"),
		f("unicode kept", ms, "Y年m月d日", "2023年08月15日"),
		f("ISO year differs", int64(1609459200000), "o-W Y", "2020-53 2021"),
		f("text input", "2023-08-15", "d/m/Y", "15/08/2023"),
		f("now", "now", "Y", time.Now().UTC().Format("2006")),
		f("null", nil, "Y", nil),
		{name: "array", filter: "format_timestamp", in: []any{}, args: []any{"Y"}, err: "format_timestamp: expected a timestamp, got array"},
	})
	for day, want := range map[int]string{1: "st", 2: "nd", 3: "rd", 4: "th", 11: "th", 12: "th", 13: "th", 21: "st", 22: "nd", 23: "rd", 31: "st"} {
		if got := ordinalSuffix(day); got != want {
			t.Errorf("ordinalSuffix(%d) = %s, want %s", day, got, want)
		}
	}
}

func TestTimestampArithmetic(t *testing.T) {
	runCases(t, []tcase{
		{name: "negative", filter: "add_secs_to_timestamp", in: base, args: []any{int64(-60)}, want: base - 60_000},
		{name: "fraction", filter: "add_secs_to_timestamp", in: base, args: []any{1.5}, want: base + 1500},
		{name: "text timestamp", filter: "add_secs_to_timestamp", in: "2023-08-15T20:45:30Z", args: []any{int64(1)}, want: base + 1000},
		{name: "null", filter: "add_secs_to_timestamp", in: nil, args: []any{int64(1)}, want: nil},
		{name: "text amount", filter: "add_secs_to_timestamp", in: base, args: []any{"1"}, err: "add_secs_to_timestamp: the amount must be a number, got text"},
		{name: "ms", filter: "add_ms_to_timestamp", in: base, args: []any{int64(500)}, want: base + 500},
		{name: "d/m/Y", filter: "parse_timestamp", in: "15/08/2023", args: []any{"d/m/Y"}, want: int64(1692057600000)},
		{name: "mismatch", filter: "parse_timestamp", in: "2023-08-15", args: []any{"d/m/Y"}, err: `parse_timestamp: "2023-08-15" does not match the format "d/m/Y"`},
	})
}
