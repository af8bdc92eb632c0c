// queuecast pages: strings in zh-CN (default) and English, and formatting.
// Language: ?lang=en|zh in the URL, else the last choice (localStorage), else zh.

const STRINGS = {
  zh: {
    'app': '叫号系统',
    'lang.other': 'English',
    'live.connecting': '正在连接…',
    'live.down': '未连接 · 画面可能不是最新',
    'live.ok': '实时',
    'room': '{room}诊室',
    'state.booked': '已预约', 'state.waiting': '候诊中', 'state.called': '请就诊', 'state.missed': '已过号',
    'state.done': '已就诊', 'state.cancelled': '已取消', 'state.no_show': '未到诊', 'state.at_tests': '检查中',
    'kind.appointment': '预约', 'kind.walk_in': '现场',
    'placement.made_next': '下一位', 'placement.demoted': '迟到顺延', 'placement.normal': '', 'placement.none': '',
    'placement.inserted': '插入',
    // priority reason codes (the deployment's list; an unknown code shows as it is)
    'priority': '优先',
    'reason.elderly': '老年人', 'reason.military': '军人', 'reason.disabled': '残疾人', 'reason.pregnant': '孕妇',
    'status.open': '接诊中', 'status.paused': '暂停接诊', 'status.suspended': '停诊', 'status.closed': '已结束',
    // display
    'display.now': '请', 'display.go': '到 {room} 就诊', 'display.next': '下一位', 'display.none': '暂无叫号',
    'display.missed': '过号请到护士站', 'display.noRooms': '本区域暂无出诊', 'display.voiceHint': '点击任意处启用语音叫号',
    'voice.call': '请 {label} 号 到 {room} 就诊',
    // patient
    'p.title': '我的排队',
    'p.ahead': '前面还有', 'p.people': '人', 'p.eta': '预计 {time} 就诊', 'p.etaIn': '约 {min} 分钟后',
    'p.next': '下一位就是您，请到诊室门口等候',
    'p.called': '请立即到 {room} 就诊', 'p.calledSub': '正在叫您的号：{label}',
    'p.missed': '您已过号', 'p.missedSub': '请立即返回护士站，您将是下一位',
    'p.demoted': '您到达时已过预约时段，已排到本场次末尾（按现场挂号顺序）',
    'p.atTests': '请先去做检查',
    'p.atTestsSub': '检查完成、拿到结果后请回到候诊区，在自助机或护士站报到。报到后不用从队尾重新排队，会排在前面。',
    'p.returned': '检查回来后排在第 {n} 位',
    'p.priorityPlace': '优先就诊：排在第 {n} 位',
    'p.madeNext': '您已被安排为下一位',
    'p.booked': '预约时段 {from}–{to}',
    'p.arrive': '建议 {time} 到达，无需久等',
    'p.arriveAhead': '如现在签到，前面约 {n} 人',
    'p.done': '就诊结束，祝您早日康复',
    'p.cancelled': '预约已取消', 'p.cancelledSuspended': '医生今日停诊，您的预约已取消，请联系护士站改约',
    'p.noShow': '您未在本场次到诊',
    'p.paused': '医生暂停接诊，就诊时间将顺延',
    'p.suspended': '医生今日停诊',
    'p.closed': '本场次已结束',
    'p.nowCalling': '当前叫号', 'p.doctor': '医生', 'p.room': '诊室', 'p.slot': '时段', 'p.updated': '更新于 {time}',
    'p.alertLabel': '前面剩几人时提醒我', 'p.notifyOn': '开启系统通知', 'p.alertSet': '前面剩 {n} 人时，本页会振动并提示您（请保持页面打开）',
    'p.alert': '快到您了！前面还有 {n} 人，请到诊室附近等候',
    'p.badToken': '链接无效或已过期，请向护士站确认',
    // console
    'c.title': '护士工作台', 'c.key': '工作人员密钥', 'c.login': '进入', 'c.logout': '退出', 'c.session': '场次',
    'c.callNext': '叫下一位', 'c.call': '叫此号', 'c.recall': '重呼', 'c.missed': '过号', 'c.return': '过号返回',
    'c.complete': '完成', 'c.moveNext': '排到下一位', 'c.checkIn': '签到', 'c.walkIn': '现场挂号',
    'c.pause': '暂停', 'c.resume': '恢复', 'c.called': '正在就诊', 'c.waiting': '候诊', 'c.filter': '筛选（标签/姓名）',
    'c.pos': '#', 'c.label': '号', 'c.slot': '时段', 'c.kind': '类型', 'c.name': '姓名', 'c.state': '状态', 'c.checkedIn': '签到',
    'c.ok': '已完成：{what}', 'c.nobody': '没有候诊的患者', 'c.patientRef': '病历号/证件号', 'c.patientName': '姓名',
    'c.register': '挂号', 'c.cancel': '取消', 'c.registered': '已挂号：{label}',
    'c.keys': '快捷键', 'c.noSession': '没有可管理的场次', 'c.select': '请选择一位患者',
    'c.priority': '优先', 'c.removePriority': '取消优先', 'c.priorityTitle': '设为优先：选择原因',
    'c.sendTests': '去检查', 'c.backTests': '检查回来', 'c.room': '诊室', 'c.chooseRoom': '选择本工作台的诊室',
    'c.needRoom': '本场次有多个诊室：请先选择本工作台的诊室', 'c.overtaken': '被插队 {n} 次', 'c.protected': '不再被插队',
    'c.roomPaused': '暂停', 'c.atTests': '检查中（回来后插入第 {k} 位之后）',
    // kiosk
    'k.title': '自助签到 / 挂号', 'k.checkin': '预约签到', 'k.walkin': '现场挂号', 'k.apptNo': '预约号',
    'k.submit': '确定', 'k.print': '打印凭条', 'k.again': '返回', 'k.scan': '扫码查看排队进度',
    'k.ticket': '就诊凭条', 'k.slot': '时段 {from}–{to}', 'k.ahead': '前面 {n} 人', 'k.checkedIn': '签到成功',
    'k.noQr': '请使用预约短信中的链接查看排队进度',
    'k.demoted': '已过预约时段，排在本场次末尾',
    'k.returned': '检查回来，已重新报到', 'k.returnedNote': '检查回来后排在第 {n} 位',
    'k.session': '医生', 'k.chooseSession': '请选择医生（按病历号签到可不选）', 'k.apptNoHint': '如 A001，或扫描预约二维码',
    'k.scanQr': '扫描预约二维码', 'k.scanning': '请将预约短信或凭条上的二维码对准摄像头',
    'k.orRef': '或输入病历号/证件号', 'k.needSession': '请先选择医生，再输入预约号',
    'k.needOne': '请输入预约号、扫描预约二维码或输入病历号', 'k.walkinLeft': '现场号余 {n}', 'k.printed': '打印时间 {time}',
    // manager
    'm.title': '门诊概况', 'm.doctor': '医生', 'm.room': '诊室', 'm.time': '时间', 'm.status': '状态',
    'm.quota': '剩余号源 预约/现场', 'm.waiting': '候诊', 'm.booked': '未到', 'm.done': '已诊', 'm.missed': '过号', 'm.atTests': '检查中', 'm.priority': '优先',
    'm.avgWait': '平均等候', 'm.avgConsult': '平均接诊', 'm.min': '{n} 分',
    'm.plan': '号源规划：各时段平均等候（模拟）',
    'm.planNote': '均分（基线）、论文公式、规划器与优化器四种号源方案在同济医院神经内科专家门诊场景下的模拟对比；由 queuecast simulate 生成（见 docs/planning.md）。',
    // errors
    'err.network': '无法连接服务器', 'err.unauthorized': '密钥无效', 'err.forbidden': '无权限',
    'err.wrong_state': '当前状态不允许此操作', 'err.session_paused': '已暂停接诊',
    'err.unknown_ticket': '未找到该号', 'err.unknown_session': '未找到该场次', 'err.not_open_yet': '尚未开始签到',
    'err.session_closed': '场次已结束', 'err.no_capacity': '号源已满', 'err.already_exists': '已存在',
    'err.invalid_argument': '输入有误', 'err.rate_limited': '操作太频繁，请稍后',
    'err.ambiguous': '您今天有多个预约，请先选择医生',
  },
  en: {
    'app': 'Queue',
    'lang.other': '中文',
    'live.connecting': 'Connecting…',
    'live.down': 'Not live · this screen may be out of date',
    'live.ok': 'Live',
    'room': 'Room {room}',
    'state.booked': 'Booked', 'state.waiting': 'Waiting', 'state.called': 'Called', 'state.missed': 'Missed',
    'state.done': 'Done', 'state.cancelled': 'Cancelled', 'state.no_show': 'No-show', 'state.at_tests': 'At tests',
    'kind.appointment': 'Appt', 'kind.walk_in': 'Walk-in',
    'placement.made_next': 'next', 'placement.demoted': 'late', 'placement.normal': '', 'placement.none': '',
    'placement.inserted': 'inserted',
    'priority': 'Priority',
    'reason.elderly': 'elderly', 'reason.military': 'military', 'reason.disabled': 'disabled', 'reason.pregnant': 'pregnant',
    'status.open': 'Open', 'status.paused': 'Paused', 'status.suspended': 'Suspended', 'status.closed': 'Closed',
    'display.now': 'Now', 'display.go': 'please go to {room}', 'display.next': 'Next', 'display.none': 'No one called yet',
    'display.missed': 'Missed — please return to the nurse station', 'display.noRooms': 'No clinic in this area now',
    'display.voiceHint': 'Click anywhere to enable voice calls',
    'voice.call': 'Number {label}, please go to {room}',
    'p.title': 'My place in the queue',
    'p.ahead': 'Ahead of you', 'p.people': '', 'p.eta': 'Expected at {time}', 'p.etaIn': 'in about {min} min',
    'p.next': 'You are next — please wait at the door',
    'p.called': 'Please go to {room} now', 'p.calledSub': 'Your number {label} is being called',
    'p.missed': 'You missed your call', 'p.missedSub': 'Return now to the nurse station: you will be next',
    'p.demoted': 'You arrived after your time slot, so you were placed at the end of the session (as a walk-in)',
    'p.atTests': 'Please go for your tests',
    'p.atTestsSub': 'When your tests are done and you have the results, come back to the waiting area and check in at the kiosk or the nurse station. You will not queue from the end again: you go near the front.',
    'p.returned': 'Back from tests: you are number {n} in the queue',
    'p.priorityPlace': 'Priority: you are number {n} in the queue',
    'p.madeNext': 'You have been placed next in line',
    'p.booked': 'Your time slot {from}–{to}',
    'p.arrive': 'Come at {time}, you will not need to wait long',
    'p.arriveAhead': 'If you checked in now, about {n} ahead of you',
    'p.done': 'Visit finished. Get well soon',
    'p.cancelled': 'Booking cancelled', 'p.cancelledSuspended': 'The doctor is off duty today; your booking was cancelled. Please ask the nurse station to rebook',
    'p.noShow': 'You did not come to this session',
    'p.paused': 'The doctor has paused; times will move later',
    'p.suspended': 'The doctor is off duty today',
    'p.closed': 'This session has ended',
    'p.nowCalling': 'Now calling', 'p.doctor': 'Doctor', 'p.room': 'Room', 'p.slot': 'Slot', 'p.updated': 'Updated {time}',
    'p.alertLabel': 'Alert me when this many are ahead', 'p.notifyOn': 'Turn on notifications', 'p.alertSet': 'At {n} ahead this page vibrates and shows an alert (keep it open)',
    'p.alert': 'Almost your turn! {n} ahead of you: please wait near the room',
    'p.badToken': 'This link is invalid or expired. Please ask the nurse station',
    'c.title': 'Nurse console', 'c.key': 'Staff key', 'c.login': 'Enter', 'c.logout': 'Sign out', 'c.session': 'Session',
    'c.callNext': 'Call next', 'c.call': 'Call this', 'c.recall': 'Recall', 'c.missed': 'Missed', 'c.return': 'Return',
    'c.complete': 'Complete', 'c.moveNext': 'Move to next', 'c.checkIn': 'Check in', 'c.walkIn': 'Walk-in',
    'c.pause': 'Pause', 'c.resume': 'Resume', 'c.called': 'In the room', 'c.waiting': 'Waiting', 'c.filter': 'Filter (label/name)',
    'c.pos': '#', 'c.label': 'No.', 'c.slot': 'Slot', 'c.kind': 'Kind', 'c.name': 'Name', 'c.state': 'State', 'c.checkedIn': 'In at',
    'c.ok': 'Done: {what}', 'c.nobody': 'Nobody is waiting', 'c.patientRef': 'Patient ID', 'c.patientName': 'Name',
    'c.register': 'Register', 'c.cancel': 'Cancel', 'c.registered': 'Registered: {label}',
    'c.keys': 'Keys', 'c.noSession': 'No session to run', 'c.select': 'Select a patient first',
    'c.priority': 'Priority', 'c.removePriority': 'Remove priority', 'c.priorityTitle': 'Priority: choose the reason',
    'c.sendTests': 'To tests', 'c.backTests': 'Back from tests', 'c.room': 'Room', 'c.chooseRoom': 'Choose this console\'s room',
    'c.needRoom': 'This session has several rooms: choose this console\'s room first', 'c.overtaken': 'passed {n}×', 'c.protected': 'protected',
    'c.roomPaused': 'paused', 'c.atTests': 'At tests (back: inserted after {k})',
    'k.title': 'Self check-in / registration', 'k.checkin': 'Check in', 'k.walkin': 'Walk-in', 'k.apptNo': 'Appointment number',
    'k.submit': 'OK', 'k.print': 'Print ticket', 'k.again': 'Back', 'k.scan': 'Scan to follow your queue',
    'k.ticket': 'Ticket', 'k.slot': 'Slot {from}–{to}', 'k.ahead': '{n} ahead', 'k.checkedIn': 'Checked in',
    'k.noQr': 'Use the link in your booking message to follow the queue',
    'k.demoted': 'Past your time slot: placed at the end of the session',
    'k.returned': 'Back from tests: checked in again', 'k.returnedNote': 'Back from tests: you are number {n} in the queue',
    'k.session': 'Doctor', 'k.chooseSession': 'Choose the doctor (not needed with a patient ID)', 'k.apptNoHint': 'e.g. A001, or scan the booking QR code',
    'k.scanQr': 'Scan the booking QR code', 'k.scanning': 'Hold the QR code of your booking message or ticket to the camera',
    'k.orRef': 'Or your patient ID', 'k.needSession': 'Choose the doctor first, then the appointment number',
    'k.needOne': 'Enter the appointment number, scan the booking QR code or enter your patient ID', 'k.walkinLeft': '{n} walk-in left', 'k.printed': 'Printed {time}',
    'm.title': 'Clinic overview', 'm.doctor': 'Doctor', 'm.room': 'Room', 'm.time': 'Time', 'm.status': 'Status',
    'm.quota': 'Left appt/walk-in', 'm.waiting': 'Waiting', 'm.booked': 'Not here', 'm.done': 'Seen', 'm.missed': 'Missed', 'm.atTests': 'At tests', 'm.priority': 'Priority',
    'm.avgWait': 'Avg wait', 'm.avgConsult': 'Avg consult', 'm.min': '{n} min',
    'm.plan': 'Quota planning: mean wait by slot (simulated)',
    'm.planNote': 'Even quotas (baseline), the paper\'s formula, the planner and the optimizer compared in simulation on the Tongji neurology clinic; made by queuecast simulate (see docs/planning.md).',
    'err.network': 'Cannot reach the server', 'err.unauthorized': 'Invalid key', 'err.forbidden': 'Not allowed',
    'err.wrong_state': 'Not possible in the current state', 'err.session_paused': 'The session is paused',
    'err.unknown_ticket': 'No such ticket', 'err.unknown_session': 'No such session', 'err.not_open_yet': 'Check-in is not open yet',
    'err.session_closed': 'The session has ended', 'err.no_capacity': 'No places left', 'err.already_exists': 'Already exists',
    'err.invalid_argument': 'Invalid input', 'err.rate_limited': 'Too many requests, please wait',
    'err.ambiguous': 'You have several appointments today: choose the doctor first',
  },
};

function initialLang() {
  const q = new URLSearchParams(location.search).get('lang');
  if (q === 'en' || q === 'zh') return q;
  try { const s = localStorage.getItem('qc.lang'); if (s === 'en' || s === 'zh') return s; } catch { /* private mode */ }
  return 'zh';
}

export let lang = initialLang();
document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';

export function t(key, vars = {}) {
  const s = STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}

// "3" -> "3诊室" / "Room 3"; a room that already says what it is is kept.
// A session's several rooms come joined by " / " ("5 / 6" -> "5诊室 / 6诊室").
export function roomName(room) {
  if (!room) return '';
  if (room.includes(' / ')) return room.split(' / ').map(roomName).join(' / ');
  return /^[\w-]+$/.test(room) ? t('room', { room }) : room;
}

// A priority reason code in words ("elderly" -> "老年人"); an unknown code as it is.
export function reasonName(code) {
  if (!code) return '';
  const s = t(`reason.${code}`);
  return s === `reason.${code}` ? code : s;
}

export function errorText(e) {
  if (!e) return '';
  const key = `err.${e.code}`;
  const known = STRINGS[lang][key];
  return known ? `${known}${e.message && e.code !== 'network' ? ` (${e.message})` : ''}` : `${e.code}: ${e.message || ''}`;
}

// Time of day, 24 h ("10:20"), in the browser's time zone (the clinic's).
export function hhmm(ms) {
  if (ms === null || ms === undefined) return '';
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

// "10:20:05".
export function hhmmss(ms) {
  if (ms === null || ms === undefined) return '';
  return `${hhmm(ms)}:${String(new Date(ms).getSeconds()).padStart(2, '0')}`;
}

// "10:20" when `ms` falls on the day of `today` (ms), else with the date:
// "11月24日 10:20" / "Nov 24, 10:20".
export function whenText(ms, today) {
  if (ms === null || ms === undefined) return '';
  const d = new Date(ms);
  const n = new Date(today ?? Date.now());
  if (d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate()) return hhmm(ms);
  if (lang === 'zh') return `${d.getMonth() + 1}月${d.getDate()}日 ${hhmm(ms)}`;
  return `${d.toLocaleDateString('en', { month: 'short', day: 'numeric' })}, ${hhmm(ms)}`;
}

// A button that switches the language and calls rerender().
export function langButton(el, rerender) {
  el.textContent = t('lang.other');
  el.addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    try { localStorage.setItem('qc.lang', lang); } catch { /* ignore */ }
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    el.textContent = t('lang.other');
    applyStatic();
    rerender();
  });
}

// Fill every element with data-i18n="key" (and data-i18n-ph for placeholders).
export function applyStatic(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-ph]')) el.placeholder = t(el.dataset.i18nPh);
}

export function escapeHtml(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}
