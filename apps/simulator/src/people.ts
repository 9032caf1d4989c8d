import { mobileNumber, type Network } from './network.js';
import type { Rng } from './prng.js';
import type { Person } from './wire.js';

// Common surnames by frequency, plus a compound one: the SMS must carry the surname, not the given name.
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高', '欧阳'];
const GIVEN_CHARACTERS = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀', '霞', '平', '刚', '桂', '英', '华', '晨', '宇', '欣', '怡', '浩', '婷'];
const STREETS = ['中山路', '解放路', '人民路', '建设路', '新华路', '东风路', '滨海大道', '科技园路', '学府路', '工业大道', '花园街', '光明路'];
const MERCHANTS = ['优品电子商务有限公司', '鲜达生鲜配送', '易购数码专营店', '悦家家居旗舰店', '童趣玩具批发', '华南书城', '美妆小铺', '极速汽配'];
const STAFF_GIVEN = ['建国', '丽华', '志强', '秀英', '海燕', '国庆', '晓明', '春梅', '卫东', '玉兰'];
export const OTHER_CARRIERS = ['邮政EMS', '顺丰速运', '京东物流', '德邦快递'] as const;

export function fullName(rng: Rng): { name: string; surname: string } {
  const surname = rng.pick(SURNAMES);
  const given = rng.pick(GIVEN_CHARACTERS) + (rng.chance(0.6) ? rng.pick(GIVEN_CHARACTERS) : '');
  return { name: surname + given, surname };
}

/** A staff member's display name, e.g. for `repliedBy`, `actor`, letters and phone records. */
export function staffName(rng: Rng): string {
  return rng.pick(SURNAMES.slice(0, 20)) + rng.pick(STAFF_GIVEN);
}

/** A street address within the area a branch serves (its name carries city and district). */
export function addressIn(network: Network, branchCode: string, rng: Rng): string {
  const branchName = network.branch(branchCode).name.replace(/营业部$/, '');
  return `广东省${branchName}区${rng.pick(STREETS)}${rng.int(1, 399)}号${rng.int(1, 30)}栋${rng.int(1, 32)}${String(rng.int(1, 8)).padStart(2, '0')}室`;
}

export type MobileQuality = 'valid' | 'missing' | 'invalid';

/** A recipient; `mobile` decides whether the number is present and well-formed (D10 leans to the DB otherwise). */
export function recipientFor(network: Network, branchCode: string, rng: Rng, mobile: MobileQuality): Person & { surname: string } {
  const { name, surname } = fullName(rng);
  const person: Person & { surname: string } = { name, surname, address: addressIn(network, branchCode, rng) };
  if (mobile === 'valid') {
    person.mobile = mobileNumber(rng);
  } else if (mobile === 'invalid') {
    // Typical data-entry faults: a digit short, a landline in the mobile field, a placeholder.
    person.mobile = rng.pick([mobileNumber(rng).slice(0, 10), `020-${rng.digits(8)}`, '00000000000']);
  }
  if (rng.chance(0.92)) {
    person.gender = rng.chance(0.5) ? 'M' : 'F';
  }
  return person;
}

export function senderFor(network: Network, branchCode: string, rng: Rng): { name: string; mobile?: string; address?: string } {
  if (rng.chance(0.55)) {
    return { name: rng.pick(MERCHANTS), mobile: mobileNumber(rng), address: addressIn(network, branchCode, rng) };
  }
  const sender: { name: string; mobile?: string; address?: string } = { name: fullName(rng).name };
  if (rng.chance(0.95)) sender.mobile = mobileNumber(rng);
  if (rng.chance(0.8)) sender.address = addressIn(network, branchCode, rng);
  return sender;
}
