/** Change ids HaproxyTraffic hands out start with this, so a composite Traffic can route `changeStatus` there. */
export const HAPROXY_CHANGE_PREFIX = 'haproxy:';
