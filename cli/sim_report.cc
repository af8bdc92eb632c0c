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

namespace {

// A grouped bar chart: panels stacked vertically, in each one bar per
// series and group; values < 0 draw nothing (nobody in that group).
struct BarChart {
  std::string title, subtitle;
  std::vector<std::string> series;  // legend
  struct Panel {
    std::string title;
    std::vector<std::string> groups;
    std::vector<std::vector<double>> values;  // [series][group]
  };
  std::vector<Panel> panels;
  std::string unit;  // in the bars' tooltips
};

std::string bar_chart_svg(const BarChart& c) {
  const int ns = static_cast<int>(c.series.size());
  const char* colors[] = {"#9e9e9e", "#1f77b4", "#2ca02c", "#d62728", "#9467bd"};
  double ymax = 10;
  for (const BarChart::Panel& p : c.panels)
    for (const auto& v : p.values)
      for (double x : v) ymax = std::max(ymax, x);
  const double step = ymax > 120 ? 30 : ymax > 60 ? 20 : 10;
  ymax = std::ceil(ymax / step) * step;

  // Title (y 24), subtitle (y 44), the legend on its own line(s) (y 66, 88,
  // ...: a name that would pass the right edge starts a new line), then the panels.
  const int np = static_cast<int>(c.panels.size());
  const int width = 960, panel_h = 300, left = 60, right = 20, gap = 70, legend_h = 22;
  std::vector<std::pair<int, int>> legend;  // x, line of each series' key
  for (int k = 0, x = left, line = 0; k < ns; ++k) {
    const int w = 16 + text_width(c.series[static_cast<std::size_t>(k)]);
    if (x > left && x + w > width - right) x = left, ++line;
    legend.push_back({x, line});
    x += w + 24;
  }
  const int top = 92 + (legend.empty() ? 0 : legend.back().second * legend_h);
  const int plot_w = width - left - right;
  const int height = top + np * panel_h + (np - 1) * gap + 60;
  std::string o;
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
       std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
       "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o += "<text x=\"" + std::to_string(left) + "\" y=\"24\" font-size=\"16\" font-weight=\"bold\">" +
       escape(c.title) + "</text>\n";
  o += "<text x=\"" + std::to_string(left) + "\" y=\"44\" fill=\"#555\">" + c.subtitle + "</text>\n";
  for (int k = 0; k < ns; ++k) {
    const std::string& name = c.series[static_cast<std::size_t>(k)];
    const auto [x, line] = legend[static_cast<std::size_t>(k)];
    o += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(56 + line * legend_h) +
         "\" width=\"12\" height=\"12\" fill=\"" + colors[k % 5] + "\"/><text x=\"" + std::to_string(x + 16) +
         "\" y=\"" + std::to_string(66 + line * legend_h) + "\">" + escape(name) + "</text>\n";
  }
  for (int panel = 0; panel < np; ++panel) {
    const BarChart::Panel& p = c.panels[static_cast<std::size_t>(panel)];
    const int groups = static_cast<int>(p.groups.size());
    const int y0 = top + panel * (panel_h + gap);
    const int plot_h = panel_h - 30;
    o += "<text x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(y0 + 12) + "\" font-weight=\"bold\">" +
         p.title + "</text>\n";
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
        const double v = p.values[static_cast<std::size_t>(k)][static_cast<std::size_t>(g)];
        if (v < 0) continue;  // nobody in that group
        const double h = v / ymax * plot_h;
        const double x = gx + k * bw;
        o += "<rect x=\"" + fmt("%.1f", x) + "\" y=\"" + fmt("%.1f", base - h) + "\" width=\"" +
             fmt("%.1f", bw - 2) + "\" height=\"" + fmt("%.1f", h) + "\" fill=\"" + colors[k % 5] + "\"><title>" +
             escape(c.series[static_cast<std::size_t>(k)]) + ": " + fmt("%.1f", v) + " " + c.unit +
             "</title></rect>";
        o += "<text x=\"" + fmt("%.1f", x + (bw - 2) / 2) + "\" y=\"" + fmt("%.1f", base - h - 3) +
             "\" text-anchor=\"middle\" font-size=\"10\">" + fmt("%.0f", v) + "</text>\n";
      }
      o += "<text x=\"" + fmt("%.1f", left + g * gw + gw / 2) + "\" y=\"" + std::to_string(base + 16) +
           "\" text-anchor=\"middle\">" + p.groups[static_cast<std::size_t>(g)] + "</text>\n";
    }
    o += "<line x1=\"" + std::to_string(left) + "\" x2=\"" + std::to_string(left + plot_w) + "\" y1=\"" +
         std::to_string(base) + "\" y2=\"" + std::to_string(base) + "\" stroke=\"#333\"/>\n";
  }
  o += "</svg>\n";
  return o;
}

}  // namespace

std::string comparison_svg(const sim::Scenario& sc, const sim::Comparison& c, const std::string& lang,
                           const std::string& title) {
  const bool zh = lang == "zh" || lang == "zh-CN";
  const SvgWords& w = zh ? kSvgZh : kSvgEn;
  char subtitle[256];
  std::snprintf(subtitle, sizeof subtitle, w.subtitle, static_cast<int>(c.replications),
                static_cast<unsigned long long>(c.seed));
  BarChart chart;
  chart.title = !title.empty() ? title : sc.name.empty() ? w.untitled : sc.name;
  chart.subtitle = subtitle;
  chart.unit = w.minutes;
  for (const sim::StrategyResult& s : c.strategies) chart.series.push_back(strategy_name(s.name, zh));
  for (int panel = 0; panel < 2; ++panel) {
    BarChart::Panel p;
    p.title = panel == 0 ? w.walkins : w.appointments;
    for (int g = 0; g < sc.slots(); ++g) p.groups.push_back(slot_label(sc, g));
    p.groups.push_back(w.all);
    for (const sim::StrategyResult& s : c.strategies) {
      const sim::Metrics& mt = s.metrics;
      std::vector<double> v = panel == 0 ? mt.walkin_slot_mean : mt.appointment_slot_mean;
      v.push_back(panel == 0 ? mt.walkin.mean : mt.appointment.mean);
      p.values.push_back(std::move(v));
    }
    chart.panels.push_back(std::move(p));
  }
  return bar_chart_svg(chart);
}

namespace {

// The wait classes of the flow report, in order.
struct FlowClass {
  const char* name;
  const sim::WaitStats sim::Metrics::*stats;
};
constexpr FlowClass kFlowClasses[] = {
    {"walk-in", &sim::Metrics::walkin},           {"appointment", &sim::Metrics::appointment},
    {"priority", &sim::Metrics::priority},        {"non-priority", &sim::Metrics::non_priority},
    {"back from tests", &sim::Metrics::returning}, {"every first visit", &sim::Metrics::first_visit},
};

std::string percent(double x) { return fmt("%.0f%%", 100 * x); }

}  // namespace

std::string flow_table(const sim::Scenario& sc, const sim::FlowComparison& c) {
  std::string o;
  o += "scenario: " + (sc.name.empty() ? std::string("(unnamed)") : sc.name) + "\n";
  o += "quotas: A " + vec(c.quotas.appointment) + " W " + vec(c.quotas.walkin) + "; " +
       std::to_string(c.replications) + " days, seed " + std::to_string(c.seed) + "; " + std::to_string(sc.rooms) +
       (sc.rooms == 1 ? " room" : " rooms") + "\n";
  o += "priority: " + percent(sc.priority_walkin_share) + " of walk-ins, " + percent(sc.priority_appointment_share) +
       " of appointments; tests: " + percent(sc.tests_share) + " of patients for " + fmt("%.0f", sc.tests_min_minutes) +
       "-" + fmt("%.0f", sc.tests_max_minutes) + " min; priorityAfter " + std::to_string(sc.priority_after) +
       ", returnAfter " + std::to_string(sc.return_after) + ", maxOvertaken " + std::to_string(sc.max_overtaken) +
       "\n\n";
  char line[512];
  int width = 26;  // the widest variant name, at least 26
  for (const sim::FlowVariant& v : c.variants) width = std::max(width, static_cast<int>(v.name.size()));
  auto row = [&](const std::string& label, const std::vector<std::string>& cells) {
    std::snprintf(line, sizeof line, "%-24s", label.c_str());
    o += line;
    for (const std::string& x : cells) {
      std::snprintf(line, sizeof line, " %*s", width, x.c_str());
      o += line;
    }
    o += "\n";
  };
  std::vector<std::string> names;
  for (const sim::FlowVariant& v : c.variants) names.push_back(v.name);
  row("wait mean / p90 (n/day)", names);
  for (const FlowClass& k : kFlowClasses) {
    std::vector<std::string> cells;
    for (const sim::FlowVariant& v : c.variants) {
      const sim::WaitStats& w = v.metrics.*k.stats;
      const double per_day = static_cast<double>(w.n) / std::max<std::int64_t>(v.metrics.days, 1);
      cells.push_back(w.n == 0 ? std::string("-")
                               : fmt("%.1f", w.mean) + " / " + fmt("%.1f", w.p90) + " (" + fmt("%.1f", per_day) + ")");
    }
    row(k.name, cells);
  }
  auto per_variant = [&](const char* label, auto get) {
    std::vector<std::string> cells;
    for (const sim::FlowVariant& v : c.variants) cells.push_back(get(v.metrics));
    row(label, cells);
  };
  per_variant("sent for tests / day", [](const sim::Metrics& m) { return fmt("%.2f", m.tests_per_day); });
  per_variant("back / too late / day", [](const sim::Metrics& m) {
    return fmt("%.2f", m.returned_per_day) + " / " + fmt("%.2f", m.tests_late_per_day);
  });
  per_variant("inserted / day", [](const sim::Metrics& m) { return fmt("%.2f", m.inserted_per_day); });
  per_variant("overtaken / day", [](const sim::Metrics& m) { return fmt("%.2f", m.overtaken_per_day); });
  per_variant("most overtaken", [](const sim::Metrics& m) { return std::to_string(m.max_overtaken_seen); });
  per_variant("days over the bound", [](const sim::Metrics& m) { return std::to_string(m.days_over_bound); });
  per_variant("idle / overtime", [](const sim::Metrics& m) {
    return fmt("%.1f", m.doctor_idle_minutes) + " / " + fmt("%.1f", m.overtime_minutes);
  });
  per_variant("turned away / day", [](const sim::Metrics& m) { return fmt("%.2f", m.turned_away_per_day); });
  per_variant("eta MAE / naive", [](const sim::Metrics& m) {
    return fmt("%.1f", m.eta_mae_minutes) + " / " + fmt("%.1f", m.naive_mae_minutes);
  });
  o += "\n(waits in minutes: call - registration or check-in; back from tests: second call -\n"
       " return_from_tests; most overtaken: the largest overtaken count of any ticket on any day\n"
       " (ticket_overtaken events); days over the bound: days on which it exceeded maxOvertaken;\n"
       " idle: doctor-minutes a day, summed over the rooms; eta MAE: |call - eta shown at check-in|\n"
       " of first visits, naive: |call - start of the booked or registered slot|)\n\nchecks:\n";
  std::int64_t worst = 0, days = 0, disagree = 0;
  for (const sim::FlowVariant& v : c.variants) {
    worst = std::max<std::int64_t>(worst, v.metrics.max_overtaken_seen);
    days += v.metrics.days_over_bound;
    disagree += v.metrics.days_view_disagrees;
  }
  o += "- overtaken at most maxOvertaken (" + std::to_string(sc.max_overtaken) + ") on every day: " +
       (days == 0 ? "yes" : "NO, " + std::to_string(days) + " days over") + " (largest count " +
       std::to_string(worst) + "; staff view " + (disagree == 0 ? "agrees" : "DISAGREES on " + std::to_string(disagree) + " days") +
       ")\n";
  for (bool separate : {sc.separate_queues, !sc.separate_queues}) {
    const sim::FlowVariant* off = c.find(false, separate);
    const sim::FlowVariant* on = c.find(true, separate);
    if (!off || !on || !sc.has_priority()) continue;
    const double p0 = off->metrics.priority.mean, p1 = on->metrics.priority.mean;
    const double n0 = off->metrics.non_priority.mean, n1 = on->metrics.non_priority.mean;
    o += "- " + (sc.rooms > 1 ? std::string(separate ? "a queue per room: " : "one queue: ") : std::string()) +
         "priority mean wait " + fmt("%.1f", p0) + " -> " + fmt("%.1f", p1) + " min (" +
         (p0 > 0 ? fmt("%+.0f%%", 100 * (p1 - p0) / p0) : std::string("-")) + "; target: at most half, " +
         (p1 <= p0 / 2 ? "met" : "NOT met") + "; counted from the first doctor's start " +
         fmt("%.1f", off->metrics.priority_from_start.mean) + " -> " + fmt("%.1f", on->metrics.priority_from_start.mean) +
         " min, " +
         (off->metrics.priority_from_start.mean > 0
              ? fmt("%+.0f%%", 100 * (on->metrics.priority_from_start.mean - off->metrics.priority_from_start.mean) /
                                   off->metrics.priority_from_start.mean)
              : std::string("-")) +
         "); non-priority " + fmt("%.1f", n0) + " -> " + fmt("%.1f", n1) +
         " min (" + fmt("%+.1f", n1 - n0) + "; bound: maxOvertaken " + std::to_string(sc.max_overtaken) +
         " x mean consultation " + fmt("%.2f", sc.mean_consult_minutes()) + " = " +
         fmt("%.1f", c.overtaking_bound_minutes) + " min, " + (n1 - n0 <= c.overtaking_bound_minutes ? "within" : "NOT within") +
         ")\n";
  }
  if (sc.rooms > 1) {
    for (bool lane : {false, true}) {
      const sim::FlowVariant* one = c.find(lane, false);
      const sim::FlowVariant* each = c.find(lane, true);
      if (!one || !each) continue;
      const sim::WaitStats& a = one->metrics.first_visit;
      const sim::WaitStats& b = each->metrics.first_visit;
      o += "- pooling" + (sc.has_priority() ? std::string(lane ? " (priority lane)" : " (no priority lane)") : "") +
           ": one queue " + fmt("%.1f", a.mean) + " / " + fmt("%.1f", a.p90) + " min (mean / p90) against a queue per room " +
           fmt("%.1f", b.mean) + " / " + fmt("%.1f", b.p90) + ": " +
           (a.mean < b.mean && a.p90 < b.p90 ? "one queue is better on both" : "one queue is NOT better on both") + "\n";
    }
  }
  return o;
}

std::string flow_svg(const sim::Scenario& sc, const sim::FlowComparison& c, const std::string& title) {
  BarChart chart;
  chart.title = !title.empty() ? title : sc.name.empty() ? "Simulated clinic days" : sc.name;
  chart.subtitle = "Wait (minutes) by class; " + std::to_string(c.replications) + " simulated days, seed " +
                   std::to_string(c.seed) + "; common random numbers";
  chart.unit = "min";
  for (const sim::FlowVariant& v : c.variants) chart.series.push_back(v.name);
  for (int panel = 0; panel < 2; ++panel) {
    BarChart::Panel p;
    p.title = panel == 0 ? "Mean wait" : "90th percentile of the wait";
    // The classes somebody is in (no empty "priority" group without priority patients).
    std::vector<const FlowClass*> shown;
    for (const FlowClass& k : kFlowClasses)
      for (const sim::FlowVariant& v : c.variants)
        if ((v.metrics.*k.stats).n > 0) {
          shown.push_back(&k);
          break;
        }
    for (const FlowClass* k : shown) p.groups.push_back(k->name);
    for (const sim::FlowVariant& v : c.variants) {
      std::vector<double> values;
      for (const FlowClass* k : shown) {
        const sim::WaitStats& w = v.metrics.*k->stats;
        values.push_back(w.n == 0 ? -1 : panel == 0 ? w.mean : w.p90);
      }
      p.values.push_back(std::move(values));
    }
    chart.panels.push_back(std::move(p));
  }
  return bar_chart_svg(chart);
}

}  // namespace qc::cli
