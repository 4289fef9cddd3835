/* chain.h: relinking separately chained hash tables (the flow and scan-source tables) into a new array. */
#ifndef MISPORT_CHAIN_H
#define MISPORT_CHAIN_H

/* Moves every element of the bucket array oldb (nold buckets) into newb (nnew buckets, a power of two,
 * zeroed), chaining by the elements' field next and placing each by its stored field hash. Elements of
 * type T; nothing is allocated or freed. */
#define MP_CHAIN_REHASH(T, oldb, nold, newb, nnew, hash, next)                                               \
	do {                                                                                                 \
		for (uint32_t i_ = 0; i_ < (nold); i_++) {                                                   \
			T *e_ = (oldb)[i_], *n_;                                                             \
			for (; e_ != NULL; e_ = n_) {                                                        \
				n_ = e_->next;                                                               \
				e_->next = (newb)[e_->hash & ((nnew)-1)];                                    \
				(newb)[e_->hash & ((nnew)-1)] = e_;                                          \
			}                                                                                    \
		}                                                                                            \
	} while (0)

#endif
