package web_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/client"
)

// TestChecksConsole: a check is added in the create form's Advanced section
// (a bad URL is marked next to its field), runs on the real Argo controller
// against the test's failing HTTP server, and then the list shows the failed
// check at a glance, the job page its measurements and why; the checks are
// edited on the job page.
func TestChecksConsole(t *testing.T) {
	e := newConsoleEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"healthy": false}`))
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	b := e.browser(t)
	b.login("erin", userPassword)
	field := func(key string) string { return `#checks fieldset.check [data-check="` + key + `"]` }
	b.do("add a check with a bad URL in Advanced",
		chromedp.Navigate(e.url+"/w/"+workspace+"/jobs/new"),
		chromedp.WaitVisible(css("#job-form")),
		chromedp.SendKeys(css("#name"), "app-gated"),
		choose("#cluster", "local"),
		choose("#namespace", e.ns),
		choose("#deployment", "app"),
		choose("#service", "app"),
		js(`document.querySelector("#advanced").open = true`),
		chromedp.Click(css("#checks-add")),
		chromedp.SendKeys(css(field("name")), "smoke"),
		chromedp.SendKeys(css(field("url")), "ftp://example/health"),
		chromedp.Click(css("#create-submit")),
		waitJS(`(() => { const f = document.querySelector('#checks .field[data-key="url"]'); return !f.querySelector(".error").hidden && f.querySelector("input").getAttribute("aria-invalid") === "true"; })()`),
	)
	t.Logf("the URL's error: %s", b.text(`#checks .field[data-key="url"] .error`))
	b.screenshot("checks-form-error")
	b.do("fix it, promote when checks pass, create",
		js(`document.querySelector('`+field("url")+`').value = ""`),
		chromedp.SendKeys(css(field("url")), "http://"+ln.Addr().String()+"/health"),
		chromedp.SendKeys(css(field("json_path")), "{$.healthy}"),
		chromedp.SendKeys(css(field("condition")), "result == true"),
		chromedp.SendKeys(css(field("interval")), "1s"),
		chromedp.SendKeys(css(field("count")), "1"),
		chromedp.Click(css("#promote_when_checks_pass")),
		chromedp.Click(css("#create-submit")),
		chromedp.WaitVisible(css(`#jobs-body tr[data-job="app-gated"]`)),
	)

	admin, err := client.New(e.url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Login(ctx, "admin", adminPassword); err != nil {
		t.Fatal(err)
	}
	j, err := admin.Job(ctx, workspace, "app-gated")
	if err != nil || len(j.Checks) != 1 || j.Checks[0].URL != "http://"+ln.Addr().String()+"/health" || !j.PromoteWhenChecksPass {
		t.Fatalf("the job the form made: %+v, %v; want the check and promote when checks pass", j, err)
	}
	for j.Phase != client.PhaseHealthy && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		j, _ = admin.Job(ctx, workspace, "app-gated")
	}
	time.Sleep(1100 * time.Millisecond) // Argo's one-second clock
	if _, err := admin.Deploy(ctx, workspace, "app-gated", map[string]string{"app": "example/app:2"}); err != nil {
		t.Fatal(err)
	}
	b.do("the list shows the failed check",
		chromedp.Navigate(e.url+"/w/"+workspace+"/jobs"),
		waitJS(`[...document.querySelectorAll("#jobs-body tr")].some(r => r.dataset.job === "app-gated" && r.textContent.includes("Check smoke failed"))`),
	)
	b.screenshot("checks-list")
	b.do("the job page shows the measurement and why",
		chromedp.Navigate(e.url+"/w/"+workspace+"/jobs/app-gated"),
		waitJS(`document.querySelector("#job-message").textContent.startsWith("Check smoke failed: traffic stays on blue")`),
		waitJS(`[...document.querySelectorAll("#check-runs-body tr")].some(r => r.textContent.includes("smoke") && r.textContent.includes("✗ false"))`),
		// Argo's own events about the run are timeline entries.
		waitJS(`document.querySelector("#timeline").textContent.includes("AnalysisRunFailed")`),
	)
	t.Logf("job message: %s", b.text("#job-message"))
	b.screenshot("checks-detail")
	b.do("remove the check on the job page",
		chromedp.Click(css("#checks-edit")),
		chromedp.WaitVisible(css("#checks-form")),
		chromedp.Click(`//form[@id="checks-form"]//button[normalize-space()="Remove check"]`),
		js(`document.querySelector('#checks-form [name="promote_when_checks_pass"]').checked = false`),
		chromedp.Click(css("#checks-save")),
		chromedp.WaitNotVisible(css("#checks-form")),
		waitJS(`document.querySelector("#checks-summary").textContent.startsWith("No checks")`),
	)
	if j, err := admin.Job(ctx, workspace, "app-gated"); err != nil || len(j.Checks) != 0 {
		t.Fatalf("after removing the check on the job page: %+v, %v", j, err)
	}
}
