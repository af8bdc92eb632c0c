// Text table and SVG chart of a strategy comparison (cli/sim_report.h).
#include "cli/sim_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qc::cli {

namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string vec(const std::vector<std::int32_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

std::string hhmm(int minutes) {
  char b[32];
  std::snprintf(b, sizeof b, "%02d:%02d", minutes / 60, minutes % 60);
  return b;
}

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

}  // namespace

std::string slot_label(const sim::Scenario& sc, int slot) {
  const int a = sc.start_minute + slot * sc.slot_minutes;
  return hhmm(a) + "-" + hhmm(a + sc.slot_minutes);
}

std::string comparison_table(const sim::Scenario& sc, const sim::Comparison& c) {
  std::string o;
  o += "scenario: " + (sc.name.empty() ? std::string("(unnamed)") : sc.name) + "\n";
  o += "replications: " + std::to_string(c.replications) + " days, seed " + std::to_string(c.seed) +
       "; optimizer searched on seed " + std::to_string(c.optimize_seed) + " (" +
       std::to_string(c.optimize.evaluations) + " evaluations; appointment mean limit " +
       fmt("%.1f", c.optimize.appointment_limit) + " min)\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-10s %-14s %-16s %-20s %-20s %6s %6s %7s %6s %6s %8s %8s\n", "strategy",
                "A", "W", "walk-in mean/med/p90", "appt mean/med/p90", "idle", "over", "demoted", "away",
                "late", "eta MAE", "naive");
  o += line;
  for (const sim::StrategyResult& s : c.strategies) {
    const sim::Metrics& m = s.metrics;
    const std::string w = fmt("%.1f", m.walkin.mean) + "/" + fmt("%.1f", m.walkin.median) + "/" +
                          fmt("%.1f", m.walkin.p90);
    const std::string a = fmt("%.1f", m.appointment.mean) + "/" + fmt("%.1f", m.appointment.median) + "/" +
                          fmt("%.1f", m.appointment.p90);
    std::snprintf(line, sizeof line, "%-10s %-14s %-16s %-20s %-20s %6.1f %6.1f %7.2f %6.2f %6.2f %8.1f %8.1f\n",
                  s.name.c_str(), vec(s.quotas.appointment).c_str(), vec(s.quotas.walkin).c_str(), w.c_str(),
                  a.c_str(), m.doctor_idle_minutes, m.overtime_minutes, m.demoted_per_day,
                  m.turned_away_per_day, m.too_late_per_day, m.eta_mae_minutes, m.naive_mae_minutes);
    o += line;
  }
  o += "\n(waits in minutes; idle, overtime, demoted, walk-ins turned away (away) and appointments arriving\n"
       " after the end (late, not seen) per day; eta MAE: |call - eta\n"
       " shown at check-in|, naive: |call - start of the booked or registered slot|)\n\nmean wait by slot (walk-ins / appointments):\n";
  std::snprintf(line, sizeof line, "%-12s", "slot");
  o += line;
  for (const sim::StrategyResult& s : c.strategies) {
    std::snprintf(line, sizeof line, " %18s", s.name.c_str());
    o += line;
  }
  o += "\n";
  auto cell = [](double v) { return v < 0 ? std::string("-") : fmt("%.1f", v); };
  for (int i = 0; i < sc.slots(); ++i) {
    std::snprintf(line, sizeof line, "%-12s", slot_label(sc, i).c_str());
    o += line;
    for (const sim::StrategyResult& s : c.strategies) {
      const std::string v = cell(s.metrics.walkin_slot_mean[static_cast<std::size_t>(i)]) + " / " +
                            cell(s.metrics.appointment_slot_mean[static_cast<std::size_t>(i)]);
      std::snprintf(line, sizeof line, " %18s", v.c_str());
      o += line;
    }
    o += "\n";
  }
  return o;
}

namespace {

// The chart's words in English and Chinese (the pages' languages).
struct SvgWords {
  const char* untitled;
  const char* subtitle;  // "%d" days, "%lld" seed
  const char* walkins;
  const char* appointments;
  const char* all;
  const char* minutes;
};
const SvgWords kSvgEn = {"Simulated clinic days", "Mean wait (minutes) by slot and strategy; %d simulated days, seed %llu",
                         "Walk-ins (by registered slot)", "Appointments (by booked slot)", "all", "min"};
const SvgWords kSvgZh = {"模拟门诊日", "各时段平均等候（分钟），按号源方案；模拟 %d 天，随机种子 %llu",
                         "现场挂号（按挂号时段）", "预约（按预约时段）", "全天", "分钟"};

std::string strategy_name(const std::string& name, bool zh) {
  if (!zh) {
    if (name == "baseline") return "even (baseline)";
    if (name == "paper") return "paper's formula";
    return name;
  }
  if (name == "baseline") return "均分（基线）";
  if (name == "paper") return "论文公式";
  if (name == "planner") return "规划器";
  if (name == "optimizer") return "优化器";
  return name;
}

// Approximate width in pixels at font-size 12: ASCII 7, CJK 12.
int text_width(const std::string& s) {
  int px = 0;
  for (unsigned char ch : s) {
    if (ch < 0x80) px += 7;
    else if ((ch & 0xC0) != 0x80) px += 12;  // a UTF-8 lead byte: one character
  }
  return px;
}

}  // namespace

std::string comparison_svg(const sim::Scenario& sc, const sim::Comparison& c, const std::string& lang,
                           const std::string& title) {
  const bool zh = lang == "zh" || lang == "zh-CN";
  const SvgWords& w = zh ? kSvgZh : kSvgEn;
  char subtitle[256];
  std::snprintf(subtitle, sizeof subtitle, w.subtitle, static_cast<int>(c.replications),
                static_cast<unsigned long long>(c.seed));
  const int m = sc.slots();
  const int groups = m + 1;  // every slot, then "all"
  const int ns = static_cast<int>(c.strategies.size());
  const char* colors[] = {"#9e9e9e", "#1f77b4", "#2ca02c", "#d62728", "#9467bd"};
  double ymax = 10;
  for (const auto& s : c.strategies) {
    for (double v : s.metrics.walkin_slot_mean) ymax = std::max(ymax, v);
    for (double v : s.metrics.appointment_slot_mean) ymax = std::max(ymax, v);
    ymax = std::max({ymax, s.metrics.walkin.mean, s.metrics.appointment.mean});
  }
  const double step = ymax > 120 ? 30 : ymax > 60 ? 20 : 10;
  ymax = std::ceil(ymax / step) * step;

  // Title (y 24), subtitle (y 44), the legend on its own line (y 66), then the panels.
  const int width = 960, panel_h = 300, top = 92, left = 60, right = 20, gap = 70;
  const int plot_w = width - left - right;
  const int height = top + 2 * panel_h + gap + 60;
  std::string o;
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
       std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
       "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o += "<text x=\"" + std::to_string(left) + "\" y=\"24\" font-size=\"16\" font-weight=\"bold\">" +
       escape(!title.empty() ? title : sc.name.empty() ? w.untitled : sc.name) + "</text>\n";
  o += "<text x=\"" + std::to_string(left) + "\" y=\"44\" fill=\"#555\">" +
       subtitle + "</text>\n";
  // Legend: its own line under the subtitle, left to right.
  for (int k = 0, x = left; k < ns; ++k) {
    const std::string name = strategy_name(c.strategies[static_cast<std::size_t>(k)].name, zh);
    o += "<rect x=\"" + std::to_string(x) + "\" y=\"56\" width=\"12\" height=\"12\" fill=\"" + colors[k % 5] +
         "\"/><text x=\"" + std::to_string(x + 16) + "\" y=\"66\">" + escape(name) + "</text>\n";
    x += 16 + text_width(name) + 24;
  }
  for (int panel = 0; panel < 2; ++panel) {
    const int y0 = top + panel * (panel_h + gap);
    const int plot_h = panel_h - 30;
    o += "<text x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(y0 + 12) + "\" font-weight=\"bold\">" +
         (panel == 0 ? w.walkins : w.appointments) + "</text>\n";
    const int base = y0 + 20 + plot_h;
    for (double v = 0; v <= ymax + 1e-9; v += step) {
      const double y = base - v / ymax * plot_h;
      o += "<line x1=\"" + std::to_string(left) + "\" x2=\"" + std::to_string(left + plot_w) + "\" y1=\"" +
           fmt("%.1f", y) + "\" y2=\"" + fmt("%.1f", y) + "\" stroke=\"#e0e0e0\"/>";
      o += "<text x=\"" + std::to_string(left - 6) + "\" y=\"" + fmt("%.1f", y + 4) + "\" text-anchor=\"end\">" +
           fmt("%.0f", v) + "</text>\n";
    }
    const double gw = static_cast<double>(plot_w) / groups;
    const double bw = gw * 0.8 / std::max(ns, 1);
    for (int g = 0; g < groups; ++g) {
      const double gx = left + g * gw + gw * 0.1;
      for (int k = 0; k < ns; ++k) {
        const sim::Metrics& mt = c.strategies[static_cast<std::size_t>(k)].metrics;
        double v = g < m ? (panel == 0 ? mt.walkin_slot_mean : mt.appointment_slot_mean)[static_cast<std::size_t>(g)]
                         : (panel == 0 ? mt.walkin.mean : mt.appointment.mean);
        if (v < 0) continue;  // nobody in that slot
        const double h = v / ymax * plot_h;
        const double x = gx + k * bw;
        o += "<rect x=\"" + fmt("%.1f", x) + "\" y=\"" + fmt("%.1f", base - h) + "\" width=\"" +
             fmt("%.1f", bw - 2) + "\" height=\"" + fmt("%.1f", h) + "\" fill=\"" + colors[k % 5] + "\"><title>" +
             escape(strategy_name(c.strategies[static_cast<std::size_t>(k)].name, zh)) + ": " + fmt("%.1f", v) + " " +
             w.minutes + "</title></rect>";
        o += "<text x=\"" + fmt("%.1f", x + (bw - 2) / 2) + "\" y=\"" + fmt("%.1f", base - h - 3) +
             "\" text-anchor=\"middle\" font-size=\"10\">" + fmt("%.0f", v) + "</text>\n";
      }
      const std::string label = g < m ? slot_label(sc, g) : w.all;
      o += "<text x=\"" + fmt("%.1f", left + g * gw + gw / 2) + "\" y=\"" + std::to_string(base + 16) +
           "\" text-anchor=\"middle\">" + label + "</text>\n";
    }
    o += "<line x1=\"" + std::to_string(left) + "\" x2=\"" + std::to_string(left + plot_w) + "\" y1=\"" +
         std::to_string(base) + "\" y2=\"" + std::to_string(base) + "\" stroke=\"#333\"/>\n";
  }
  o += "</svg>\n";
  return o;
}

}  // namespace qc::cli
