// Voice calling for the waiting-room display.
//
// One queue, one utterance at a time: announce() appends `repeat` copies of a
// text; the next utterance starts only after the previous one ended (or
// errored, or a length-based guard timer fired, since some engines never
// fire `end`), plus a short gap. Nothing ever cancels or overlaps another
// announcement. Every announce() is recorded in `log` (tests read it through
// window.__qc).
export class Announcer {
  constructor({ repeat = 2, gapMs = 1000, lang = 'zh-CN', rate = 0.9, enabled = true, onBlocked = () => {} } = {}) {
    this.repeat = Math.max(1, Math.min(5, repeat | 0 || 1));
    this.gapMs = gapMs;
    this.lang = lang;
    this.rate = rate;
    this.enabled = enabled;
    this.onBlocked = onBlocked;
    this.queue = [];
    this.busy = false;
    this.log = [];      // {text, key, at}
    this.spoken = 0;    // utterances handed to speechSynthesis
  }

  announce(text, key = text) {
    this.log.push({ text, key, at: Date.now(), repeat: this.repeat });
    if (!this.enabled) return;
    for (let i = 0; i < this.repeat; i++) this.queue.push(text);
    this.pump();
  }

  pump() {
    if (this.busy || this.queue.length === 0) return;
    const synth = window.speechSynthesis;
    if (!synth || typeof window.SpeechSynthesisUtterance !== 'function') { this.queue.length = 0; return; }
    this.busy = true;
    const text = this.queue.shift();
    const u = new SpeechSynthesisUtterance(text);
    u.lang = this.lang;
    u.rate = this.rate;
    const voice = pickVoice(synth, this.lang);
    if (voice) u.voice = voice;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      setTimeout(() => { this.busy = false; this.pump(); }, this.gapMs);
    };
    const guard = setTimeout(finish, 3000 + text.length * 450);
    u.onend = finish;
    u.onerror = (e) => {
      if (e && e.error === 'not-allowed') this.onBlocked();
      finish();
    };
    this.spoken++;
    synth.speak(u);
  }
}

function pickVoice(synth, lang) {
  try {
    const voices = synth.getVoices() || [];
    const base = lang.split('-')[0];
    return voices.find((v) => v.lang === lang) || voices.find((v) => (v.lang || '').startsWith(base)) || null;
  } catch { return null; }
}
