package mysql

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect/internal/target"
)

func TestDriverConfig(t *testing.T) {
	t.Parallel()
	dsn, err := target.ParseURL("mysql://app:p%40ss@db.internal:3307/herd?multiStatements=true&parseTime=false&loc=Europe%2FLondon&sql_mode=%27STRICT_ALL_TABLES%27&readTimeout=5s", "mysql")
	require.NoError(t, err)
	c, err := driverConfig(dsn)
	require.NoError(t, err)
	require.Equal(t, "tcp", c.Net)
	require.Equal(t, "db.internal:3307", c.Addr)
	require.Equal(t, "app", c.User)
	require.Equal(t, "p@ss", c.Passwd)
	require.Equal(t, "herd", c.DBName)
	require.True(t, c.ParseTime, "parseTime is forced on")
	require.False(t, c.MultiStatements, "multiStatements is forced off")
	require.Equal(t, "Europe/London", c.Loc.String())
	require.Equal(t, 5*time.Second, c.ReadTimeout)
	require.Equal(t, dialTimeout, c.Timeout)
	require.Equal(t, map[string]string{"sql_mode": "'STRICT_ALL_TABLES'"}, c.Params, "unknown parameters become session variables")
}

func TestDriverConfigDefaultPort(t *testing.T) {
	t.Parallel()
	dsn, err := target.ParseURL("mysql://root@127.0.0.1/test", "mysql")
	require.NoError(t, err)
	c, err := driverConfig(dsn)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:3306", c.Addr)
	require.True(t, c.InterpolateParams, "parameters are interpolated by default")
}

func TestDriverConfigKeepsInterpolateParamsOff(t *testing.T) {
	t.Parallel()
	dsn, err := target.ParseURL("mysql://root@127.0.0.1/test?interpolateParams=false", "mysql")
	require.NoError(t, err)
	c, err := driverConfig(dsn)
	require.NoError(t, err)
	require.False(t, c.InterpolateParams, "the DSN's choice stands")
}

func TestDriverConfigRefusesBadParams(t *testing.T) {
	t.Parallel()
	dsn, err := target.ParseURL("mysql://root:s3cr3t-sentinel@127.0.0.1/test?parseTime=maybe", "mysql")
	require.NoError(t, err)
	_, err = driverConfig(dsn)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cr3t")
}

func TestLockName(t *testing.T) {
	t.Parallel()
	a := lockName("school_erp_trust_" + strings.Repeat("a", 47))
	require.Len(t, a, maxLockName)
	require.True(t, strings.HasPrefix(a, "herd:"))
	require.NotEqual(t, a, lockName("school_erp_trust_b"))
	require.Equal(t, a, lockName("school_erp_trust_"+strings.Repeat("a", 47)), "stable")
}

func TestQuoteIdent(t *testing.T) {
	t.Parallel()
	require.Equal(t, "`a``b`", New().QuoteIdent("a`b"))
}
